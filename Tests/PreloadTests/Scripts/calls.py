"""Call semantics of the library at the edges, against an echo server at HOST:PORT (Linux):
signals during blocking calls (SA_RESTART), sendfile, and bad arguments. Prints "ok" when every
check passed. Run on Linux, every check passes."""
import ctypes
import errno
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

import checks
from checks import check

host, port = sys.argv[1], int(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)


def connect():
    return checks.connect(host, port)


def fails_with(code, call, what):
    try:
        call()
    except OSError as error:
        check(error.errno == code, f"{what}: errno {error.errno}, not {code}")
        return
    check(False, f"{what} succeeded")


a, b = connect(), connect()

# A signal handler interrupting a blocking recv: restarted under SA_RESTART (the recv returns the
# bytes that came later), EINTR without it, and EINTR with SA_RESTART once SO_RCVTIMEO is set.
signal.signal(signal.SIGINT, signal.SIG_DFL)  # Python's own handler has no SA_RESTART
signal.signal(signal.SIGUSR1, lambda number, frame: None)
main = threading.get_ident()
buffer = ctypes.create_string_buffer(16)


def interrupted_recv(restart, send_later):
    signal.siginterrupt(signal.SIGUSR1, not restart)

    def poke():
        time.sleep(0.2)
        signal.pthread_kill(main, signal.SIGUSR1)
        if send_later:
            time.sleep(0.3)
            b.sendall(b"later")

    poker = threading.Thread(target=poke)
    poker.start()
    ctypes.set_errno(0)
    got = libc.recv(b.fileno(), buffer, 5, socket.MSG_WAITALL)
    code = ctypes.get_errno()
    poker.join()
    return got, code


got, code = interrupted_recv(restart=True, send_later=True)
check(got == 5 and buffer.raw[:5] == b"later", f"recv restarted under SA_RESTART: {got}, errno {code}")
got, code = interrupted_recv(restart=False, send_later=False)
check(got == -1 and code == errno.EINTR, f"recv interrupted without SA_RESTART: {got}, errno {code}")
b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 5, 0))
start = time.monotonic()
got, code = interrupted_recv(restart=True, send_later=False)
check(got == -1 and code == errno.EINTR and time.monotonic() - start < 3,
      f"recv with SO_RCVTIMEO interrupted under SA_RESTART: {got}, errno {code}")
b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 0))

# sendfile: from a file with and without an offset (then the file position moves); a socket as
# the source is EINVAL, whatever the destination.
content = os.urandom(300_000)
with tempfile.TemporaryFile() as source:
    source.write(content)
    source.flush()
    check(os.sendfile(a.fileno(), source.fileno(), 1000, 100_000) == 100_000, "sendfile with an offset")
    os.lseek(source.fileno(), 0, os.SEEK_SET)
    moved = 0
    while moved < 200_000:
        moved += os.sendfile(a.fileno(), source.fileno(), None, 200_000 - moved)
    check(os.lseek(source.fileno(), 0, os.SEEK_CUR) == 200_000, "sendfile moved the file position")
    echoed = b""
    while len(echoed) < 300_000:
        echoed += a.recv(300_000 - len(echoed))
    check(echoed == content[1000:101_000] + content[:200_000], "the bytes sendfile sent")
    fails_with(errno.EINVAL, lambda: os.sendfile(a.fileno(), b.fileno(), None, 8), "sendfile from a socket to a socket")
    fails_with(errno.EINVAL, lambda: os.sendfile(source.fileno(), b.fileno(), None, 8), "sendfile from a socket to a file")

# Bad arguments get Linux's answers, never a crash.
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 2**62, 0))
a.setblocking(False)  # the timeout is kept, but a non-blocking recv does not wait
fails_with(errno.EAGAIN, lambda: a.recv(5), "non-blocking recv with a huge SO_RCVTIMEO")
a.setblocking(True)
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", -1, 0))
fails_with(errno.EAGAIN, lambda: a.recv(5), "recv with a negative SO_RCVTIMEO (times out at once)")
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 0))
fails_with(errno.EDOM, lambda: a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 1, 2_000_000)), "SO_RCVTIMEO tv_usec")
fails_with(errno.EINVAL, lambda: a.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, b"\x01"), "an int option one byte long")
one = ctypes.c_int(1)
check(libc.setsockopt(a.fileno(), socket.SOL_SOCKET, socket.SO_KEEPALIVE, ctypes.byref(one), 1 << 30) == 0,
      f"an int option with a huge length: errno {ctypes.get_errno()}")
check(a.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1, "SO_KEEPALIVE kept")


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


pieces = (Iovec * 2)(Iovec(ctypes.addressof(buffer), 4), Iovec(ctypes.addressof(buffer), 2**63))
ctypes.set_errno(0)
check(libc.writev(a.fileno(), pieces, 2) == -1 and ctypes.get_errno() == errno.EINVAL, f"writev beyond SSIZE_MAX: errno {ctypes.get_errno()}")
ctypes.set_errno(0)
check(libc.readv(a.fileno(), pieces, 2000) == -1 and ctypes.get_errno() == errno.EINVAL, f"readv beyond IOV_MAX: errno {ctypes.get_errno()}")
fails_with(errno.EMSGSIZE, lambda: a.sendmsg([b"x"] * 1025), "sendmsg beyond UIO_MAXIOV")
ctypes.set_errno(0)
check(libc.sendmsg(a.fileno(), None, 0) == -1 and ctypes.get_errno() == errno.EFAULT, f"sendmsg without a msghdr: errno {ctypes.get_errno()}")
a.sendall(b"still")
check(a.recv(5, socket.MSG_WAITALL) == b"still", "the socket after the bad calls")

# shutdown as on Linux: SHUT_RD keeps what was received readable, then reads return 0; SHUT_WR on
# a listener does nothing; a connect under way can be shut.
b.sendall(b"kept")
select.select([b], [], [], 5)
time.sleep(0.1)
b.shutdown(socket.SHUT_RD)
check(b.recv(10) == b"kept" and b.recv(10) == b"", "SHUT_RD: the bytes received before, then the end")
listener = socket.socket()
listener.bind(("0.0.0.0", 0))
listener.listen(1)
listener.shutdown(socket.SHUT_WR)
listener.close()
connecting = socket.socket()
connecting.setblocking(False)
check(connecting.connect_ex((host, port)) in (0, errno.EINPROGRESS), "non-blocking connect")
connecting.shutdown(socket.SHUT_RDWR)
connecting.close()

# close_range: the descriptors it closes are gone for the library too.
closed = connect()
number = closed.detach()
check(libc.close_range(number, number, 0) == 0, f"close_range: errno {ctypes.get_errno()}")
fails_with(errno.EBADF, lambda: fcntl.fcntl(number, fcntl.F_GETFL), "fcntl on a descriptor close_range closed")
a.close()
b.close()
print("ok", flush=True)
