"""Readiness and call semantics of the library that a program relies on, against an echo server
at HOST:ECHO_PORT and a discarding server at HOST:SINK_PORT (both Linux). Prints "ok" when every
check passed. Run the same on Linux, every check passes."""
import ctypes
import errno
import os
import select
import socket
import sys

from checks import check, connect

host, echo_port, sink_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)


# A server keeping EPOLLIN|EPOLLOUT registered (level-triggered) that sends one chunk per EPOLLOUT:
# EPOLLOUT comes back each time acknowledgments free a writable amount, however the chunks fall.
sink = connect(host, sink_port)
sink.setblocking(False)
writer = select.epoll()
writer.register(sink.fileno(), select.EPOLLIN | select.EPOLLOUT)
total, chunk = 8_000_000, b"w" * 16384
sent = 0
while sent < total:
    events = writer.poll(5)
    check(events, f"EPOLLOUT stalled after {sent} bytes")
    for fd, got in events:
        check(not got & (select.EPOLLERR | select.EPOLLHUP), f"sink failed {got:#x}")
        if got & select.EPOLLOUT:
            try:
                sent += sink.send(chunk)
            except BlockingIOError:
                pass
writer.close()
sink.close()

# Several ready sockets and a maxevents below their count: each is reported in turn (Linux rotates
# its ready list); kernel descriptors in the same set are reported too; a successful epoll_wait
# leaves errno alone.
a, b = connect(host, echo_port), connect(host, echo_port)
rotating = select.epoll()
rotating.register(a.fileno(), select.EPOLLOUT)
rotating.register(b.fileno(), select.EPOLLOUT)
seen = set()
for _ in range(4):
    events = rotating.poll(5, 1)
    check(len(events) == 1, f"one event per call with maxevents 1: {events}")
    seen.add(events[0][0])
check(seen == {a.fileno(), b.fileno()}, f"both ready sockets reported with maxevents 1: {seen}")
pipe_read, pipe_write = os.pipe()
os.write(pipe_write, b"p")
rotating.register(pipe_read, select.EPOLLIN)
for maxevents in (2, 1):
    seen = set()
    for _ in range(6):
        seen.update(fd for fd, _ in rotating.poll(5, maxevents))
    check(pipe_read in seen, f"the pipe reported among ready sockets with maxevents {maxevents}: {seen}")
    check({a.fileno(), b.fileno()} <= seen, f"the sockets reported with maxevents {maxevents}: {seen}")
events = (ctypes.c_uint8 * (12 * 2))()
ctypes.set_errno(0)
count = libc.epoll_wait(rotating.fileno(), events, 2, 1000)
check(count == 2 and ctypes.get_errno() == 0, f"epoll_wait returned {count} with errno {ctypes.get_errno()}")

# The epoll descriptor itself is readable while a level-triggered interest is ready, also right
# after an epoll_wait reported it (a poll on it, or another thread's epoll_wait, sees it).
level = select.epoll()
level.register(a.fileno(), select.EPOLLIN)
a.sendall(b"ready")
check(level.poll(5) == [(a.fileno(), select.EPOLLIN)], "level-triggered event")
check(select.select([level.fileno()], [], [], 2)[0] == [level.fileno()], "the epoll descriptor readable after the report")
check(select.epoll().poll(0) == [], "sanity: an empty epoll")
a.recv(5, socket.MSG_WAITALL)
level.close()
rotating.close()
print("ok", flush=True)
