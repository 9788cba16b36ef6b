"""Echo server on one thread with non-blocking sockets and select.select: `PORT CONNECTIONS READY`
creates the file READY once it listens, serves CONNECTIONS connections (each echoed until the
client closes it), then prints "served N" and exits."""
import select
import socket
import sys

port, connections = int(sys.argv[1]), int(sys.argv[2])
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", port))
listener.listen(16)
listener.setblocking(False)
assert listener.getsockname()[1] == port, listener.getsockname()
open(sys.argv[3], "w").close()
pending = {}  # socket -> bytes waiting to be echoed
served = 0
while served < connections:
    writers = [s for s, data in pending.items() if data]
    readable, writable, _ = select.select([listener] + list(pending), writers, [], 30)
    if not readable and not writable:
        sys.exit("select timed out")
    for s in writable:
        sent = s.send(pending[s])
        pending[s] = pending[s][sent:]
    for s in readable:
        if s is listener:
            try:
                connection, _ = listener.accept()
            except BlockingIOError:
                continue
            connection.setblocking(False)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pending[connection] = b""
            continue
        try:
            data = s.recv(65536)
        except BlockingIOError:
            continue
        if data:
            pending[s] += data
        else:
            while pending[s]:  # the rest, then close
                select.select([], [s], [], 30)
                sent = s.send(pending[s])
                pending[s] = pending[s][sent:]
            del pending[s]
            s.close()
            served += 1
print("served", served, flush=True)
