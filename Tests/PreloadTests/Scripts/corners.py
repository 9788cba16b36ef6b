"""Corners a review found, against an echo server at HOST:PORT: recv with MSG_PEEK|MSG_WAITALL
waits for the whole length (or, through the library, a full receive ring); connect to 0.0.0.0 reaches the local host (loopback); TCP_MAXSEG's
values before and after connecting; bind(0.0.0.0, P) then connect to loopback keeps port P; a forked child's inherited epoll descriptor reports only the
child's descriptors (never the library's own wake-ups) and leaves the parent's working; a wait the library
does not see (poll as a raw system call) sees a socket become readable. Prints
"ok" when every check passed. Run on Linux (kernel sockets) every check passes."""
import ctypes
import errno
import os
import select
import socket
import struct
import sys
import threading
import time

import checks
from checks import check

host, port = sys.argv[1], int(sys.argv[2])

# MSG_PEEK|MSG_WAITALL: peeks what there is only when it may not wait, else waits for the whole length.
s = checks.connect(host, port)
s.sendall(b"a" * 10)
check(select.select([s], [], [], 10)[0], "the first echo")
time.sleep(0.2)
check(s.recv(20, socket.MSG_PEEK | socket.MSG_WAITALL | socket.MSG_DONTWAIT) == b"a" * 10,
      "MSG_DONTWAIT|MSG_PEEK|MSG_WAITALL peeks what there is")
threading.Timer(0.3, lambda: s.sendall(b"b" * 10)).start()
start = time.monotonic()
peeked = s.recv(20, socket.MSG_PEEK | socket.MSG_WAITALL)
check(peeked == b"a" * 10 + b"b" * 10, f"MSG_PEEK|MSG_WAITALL gave {len(peeked)} bytes, not 20")
check(time.monotonic() - start >= 0.2, "MSG_PEEK|MSG_WAITALL returned before the rest came")
check(s.recv(20, socket.MSG_WAITALL) == peeked, "the peeked bytes are read afterwards")
s.close()

# MSG_PEEK|MSG_WAITALL for more than the receive buffer can ever hold: Linux waits (its buffer grows up
# to tcp_rmem's maximum) until SO_RCVTIMEO; the library counts a full receive ring as whole at once.
s = checks.connect(host, port)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 3, 0))
threading.Thread(target=lambda: s.sendall(b"c" * (4 << 20)), daemon=True).start()
start = time.monotonic()
peeked = s.recv(64 << 20, socket.MSG_PEEK | socket.MSG_WAITALL)
check(len(peeked) > 0 and set(peeked) == {ord("c")}, f"a peek beyond the buffer gave {len(peeked)} bytes")
if "FlexTCPPOSIX" in os.environ.get("LD_PRELOAD", ""):
    check(time.monotonic() - start < 2.5, "a peek beyond the receive ring waited for the timeout")
s.close()

# connect to 0.0.0.0 is the local host, as on Linux (a loopback connection).
local = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
local.bind(("127.0.0.1", 0))
local.listen(1)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.settimeout(10)
c.connect(("0.0.0.0", local.getsockname()[1]))
check(c.getpeername() == ("127.0.0.1", local.getsockname()[1]), f"connect to 0.0.0.0 reached {c.getpeername()}")
served, _ = local.accept()
c.sendall(b"x")
check(served.recv(1) == b"x", "the byte over the 0.0.0.0 connection")
for x in (c, served, local):
    x.close()

# bind(0.0.0.0, P) then connect to loopback: the bind holds on the kernel socket, as on Linux.
local = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
local.bind(("127.0.0.1", 0))
local.listen(1)
probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
probe.bind(("127.0.0.1", 0))
chosen = probe.getsockname()[1]
probe.close()
b = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
b.bind(("0.0.0.0", chosen))
b.settimeout(10)
b.connect(("127.0.0.1", local.getsockname()[1]))
check(b.getsockname() == ("127.0.0.1", chosen), f"a bound socket connected to loopback from {b.getsockname()}, not port {chosen}")
served, _ = local.accept()
for x in (b, served, local):
    x.close()

# TCP_MAXSEG: Linux's 536 before a connection, the value set until then, its range, a segment size once connected.
m = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
check(m.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG) == 536, "TCP_MAXSEG of a fresh socket")
m.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1000)
check(m.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG) == 1000, "TCP_MAXSEG set before connecting")
try:
    m.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 50)
    check(False, "TCP_MAXSEG 50 accepted")
except OSError as error:
    check(error.errno == errno.EINVAL, f"TCP_MAXSEG 50: errno {error.errno}")
m.close()
m = checks.connect(host, port)
segment = m.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
check(88 <= segment <= 65495, f"TCP_MAXSEG of a connection: {segment}")
m.close()

# fork with an epoll set holding a socket: the child's epoll_wait reports only descriptors of
# the child (a pipe here; on Linux also the shared socket), never the library's own wake-up.
s = checks.connect(host, port)
poller = select.epoll()
poller.register(s.fileno(), select.EPOLLIN)
readable, writable = os.pipe()
poller.register(readable, select.EPOLLIN)
child = os.fork()
if child == 0:
    os.write(writable, b"p")
    seen = set()
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        for fd, _ in poller.poll(0.2):
            seen.add(fd)
            if fd == readable:
                os.read(readable, 1)
    os._exit(0 if readable in seen and seen <= {readable, s.fileno()} else 1)
time.sleep(0.1)
s.sendall(b"hello")  # the echo makes the socket readable while the child waits
_, status = os.waitpid(child, 0)
check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the child's epoll reported a descriptor not its own")
check([fd for fd, _ in poller.poll(10)] == [s.fileno()], "the parent's epoll after the child")
check(s.recv(5, socket.MSG_WAITALL) == b"hello", "the parent's echo")

# A wait the library does not see (poll(2) as a raw system call, no libc wrapper): the socket's
# descriptor itself becomes readable when the echo arrives, as a kernel socket's does.
libc = ctypes.CDLL(None, use_errno=True)
entry = struct.pack("ihh", s.fileno(), select.POLLIN, 0)
for round in range(3):
    s.sendall(b"raw")
    buffer = ctypes.create_string_buffer(entry, len(entry))
    ready = libc.syscall(7, buffer, 1, 5000)  # SYS_poll on x86-64, 5 s
    revents = struct.unpack("ihh", buffer.raw)[2]
    check(ready == 1 and revents & select.POLLIN, f"raw poll {round}: {ready}, revents {revents}")
    check(s.recv(3, socket.MSG_WAITALL) == b"raw", f"raw poll {round}: the echo")
print("ok")
