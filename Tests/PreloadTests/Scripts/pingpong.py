"""Blocking ping-pong: `server PORT READY` creates the file READY once it listens, accepts
64-byte message after epoll_wait says it is readable (blocking reads); `client HOST PORT COUNT`
sends COUNT numbered messages, each read back whole with a blocking recv(MSG_WAITALL). The
client prints "done COUNT"; a lost wake-up stalls, which the test's watchdog turns into a failure."""
import select
import socket
import sys

SIZE = 64
if sys.argv[1] == "server":
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", int(sys.argv[2])))
    listener.listen(1)
    open(sys.argv[3], "w").close()
    connection, _ = listener.accept()
    poller = select.epoll()
    poller.register(connection.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
    while True:
        poller.poll()
        message = connection.recv(SIZE, socket.MSG_WAITALL)
        if len(message) < SIZE:
            break
        connection.sendall(message)
    connection.close()
    print("served", flush=True)
else:
    host, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    s = socket.create_connection((host, port))
    for number in range(count):
        message = number.to_bytes(8, "little") * (SIZE // 8)
        s.sendall(message)
        answer = s.recv(SIZE, socket.MSG_WAITALL)
        if answer != message:
            sys.exit(f"message {number}: got {answer!r}")
    s.close()
    print("done", count, flush=True)
