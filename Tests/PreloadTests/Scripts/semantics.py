"""POSIX semantics of one process's sockets through the library, against an echo server at
HOST:PORT (every connection echoed until it closes). Prints "ok" when every check passed."""
import errno
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import termios
import time

import checks
from checks import check

host, port = sys.argv[1], int(sys.argv[2])


def connect():
    return checks.connect(host, port)


def exactly(s, count):
    data = b""
    while len(data) < count:
        piece = s.recv(count - len(data))
        check(piece, "early end of stream")
        data += piece
    return data


# Loopback stays the kernel's: a socket bound or connected to 127.0.0.1 becomes a kernel socket,
# keeping its options and an epoll interest registered before.
loop_server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
loop_server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
loop_server.bind(("127.0.0.1", 0))
loop_server.listen(1)
loop_client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
loop_client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
loop_epoll = select.epoll()
loop_epoll.register(loop_client.fileno(), select.EPOLLIN)
loop_client.connect(loop_server.getsockname())
loop_peer, _ = loop_server.accept()
loop_peer.sendall(b"loop")
check(loop_epoll.poll(5) == [(loop_client.fileno(), select.EPOLLIN)], "epoll interest kept by a loopback socket")
check(exactly(loop_client, 4) == b"loop", "loopback bytes")
check(loop_client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1, "option kept by a loopback socket")
for s in (loop_client, loop_peer, loop_server):
    s.close()
loop_epoll.close()

a = connect()
# Options: documented values, never a surprising error.
check(a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM, "SO_TYPE")
check(a.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET, "SO_DOMAIN")
a.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
check(a.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1, "TCP_NODELAY kept")
a.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 5))
check(a.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0, "SO_ERROR")
# O_NONBLOCK (Python uses FIONBIO), F_GETFL, MSG_DONTWAIT, SO_RCVTIMEO.
a.setblocking(False)
check(fcntl.fcntl(a.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK, "O_NONBLOCK after setblocking(False)")
try:
    a.recv(10)
    check(False, "recv on an empty non-blocking socket")
except BlockingIOError:
    pass
fcntl.fcntl(a.fileno(), fcntl.F_SETFL, fcntl.fcntl(a.fileno(), fcntl.F_GETFL) & ~os.O_NONBLOCK)
check(not fcntl.fcntl(a.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK, "F_SETFL clears O_NONBLOCK")
try:
    a.recv(10, socket.MSG_DONTWAIT)
    check(False, "MSG_DONTWAIT")
except BlockingIOError:
    pass
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 200000))
start = time.monotonic()
try:
    a.recv(10)
    check(False, "SO_RCVTIMEO")
except BlockingIOError:
    check(time.monotonic() - start >= 0.15, "SO_RCVTIMEO waited")
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 0))
check(fcntl.fcntl(a.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC, "FD_CLOEXEC (Python sockets are close-on-exec)")

# epoll, level-triggered: reported while readable; FIONREAD.
level = select.epoll()
level.register(a.fileno(), select.EPOLLIN)
a.sendall(b"0123456789")
check(level.poll(5) == [(a.fileno(), select.EPOLLIN)], "level-triggered event")
time.sleep(0.05)
check(level.poll(1) == [(a.fileno(), select.EPOLLIN)], "level-triggered event repeats")
available = struct.unpack("i", fcntl.ioctl(a.fileno(), termios.FIONREAD, b"\0" * 4))[0]
check(available == 10, f"FIONREAD {available}")
check(a.recv(4, socket.MSG_PEEK) == b"0123", "MSG_PEEK")
check(exactly(a, 10) == b"0123456789", "bytes after peek")
check(level.poll(0.1) == [], "no event once read")
level.close()

# Edge-triggered: one event per arrival; EPOLLONESHOT: one event until EPOLL_CTL_MOD.
edge = select.epoll()
edge.register(a.fileno(), select.EPOLLIN | select.EPOLLET)
a.sendall(b"ab")
check(edge.poll(5) == [(a.fileno(), select.EPOLLIN)], "edge event")
check(edge.poll(0.2) == [], "no second edge without new bytes")
a.sendall(b"cd")
check(edge.poll(5) == [(a.fileno(), select.EPOLLIN)], "edge event for new bytes")
exactly(a, 4)
edge.modify(a.fileno(), select.EPOLLIN | select.EPOLLONESHOT)
a.sendall(b"e")
check(edge.poll(5) == [(a.fileno(), select.EPOLLIN)], "one-shot event")
a.sendall(b"f")
time.sleep(0.1)
check(edge.poll(0.2) == [], "one-shot disarmed")
edge.modify(a.fileno(), select.EPOLLIN | select.EPOLLONESHOT)
check(edge.poll(5) == [(a.fileno(), select.EPOLLIN)], "one-shot re-armed")
exactly(a, 2)
edge.close()

# poll on a mix: a pipe and the socket, each reported when it alone is ready.
reader, writer = os.pipe()
mixed = select.poll()
mixed.register(reader, select.POLLIN)
mixed.register(a.fileno(), select.POLLIN)
os.write(writer, b"p")
check(mixed.poll(5000) == [(reader, select.POLLIN)], "pipe alone ready")
os.read(reader, 1)
a.sendall(b"s")
check(mixed.poll(5000) == [(a.fileno(), select.POLLIN)], "socket alone ready")
exactly(a, 1)
check(select.select([a], [a], [], 5)[1] == [a], "select: writable")

# dup/dup2: the same socket under other numbers; closing one keeps the others.
copy = os.dup(a.fileno())
os.write(copy, b"dup")
check(exactly(a, 3) == b"dup", "write through a dup")
other = os.open("/dev/null", os.O_RDONLY)
os.dup2(a.fileno(), other)
os.write(other, b"dup2")
check(os.read(copy, 4) == b"dup2", "dup2 and read through a dup")
os.close(copy)
os.close(other)
a.sendall(b"x")
check(exactly(a, 1) == b"x", "the socket after closing its dups")

# Fork rule: the child cannot use the parent's sockets (EBADF) but makes its own; the parent carries on.
child = os.fork()
if child == 0:
    try:
        os.write(a.fileno(), b"child")
        os._exit(2)
    except OSError as error:
        if error.errno != errno.EBADF:
            os._exit(3)
    own = connect()
    own.sendall(b"own")
    os._exit(0 if exactly(own, 3) == b"own" else 4)
_, status = os.waitpid(child, 0)
check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"forked child status {status}")
a.sendall(b"parent")
check(exactly(a, 6) == b"parent", "the parent's socket after the fork")

# Shutdown: our FIN reaches the peer (which then closes): EPOLLRDHUP and end of stream; EPIPE and SIGPIPE.
hangup = select.epoll()
hangup.register(a.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
a.shutdown(socket.SHUT_WR)
events = dict(hangup.poll(5))
check(events.get(a.fileno(), 0) & select.EPOLLRDHUP, f"EPOLLRDHUP {events}")
check(a.recv(10) == b"", "end of stream")
try:
    a.send(b"late", socket.MSG_NOSIGNAL)
    check(False, "send after SHUT_WR")
except BrokenPipeError:
    pass
pipes = []
signal.signal(signal.SIGPIPE, lambda number, frame: pipes.append(number))
try:
    a.send(b"late")
except BrokenPipeError:
    pass
deadline = time.monotonic() + 2
while not pipes and time.monotonic() < deadline:  # Python runs handlers between bytecodes
    time.sleep(0.01)
check(pipes == [signal.SIGPIPE], f"SIGPIPE without MSG_NOSIGNAL {pipes}")
a.close()
print("ok", flush=True)
