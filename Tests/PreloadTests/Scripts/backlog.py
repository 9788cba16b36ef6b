"""The listen backlog, as Linux keeps it: `server PORT_A PORT_B BACKLOG READY` listens on PORT_A
with BACKLOG (e.g. 2, or 0) without accepting, and on PORT_B; `client HOST PORT_A PORT_B BACKLOG`
opens BACKLOG + 3 connections to PORT_A one after another, of which only BACKLOG + 1 complete
their handshake (the others' SYNs go unanswered), then connects to PORT_B (another listener of the
same program: not refused), and once the server accepts on PORT_A every connection completes and
echoes a byte. The client prints "ok"; the server "served N" (N = BACKLOG + 3). Run on Linux
(kernel sockets) it passes the same way."""
import select
import socket
import sys
import time

from checks import check



def listener(port, backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(backlog)
    return s


def established(s, timeout):
    """The non-blocking connect of `s` completed within `timeout` seconds."""
    _, writable, _ = select.select([], [s], [], timeout)
    return bool(writable) and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0


BACKLOG = int(sys.argv[4] if sys.argv[1] == "server" else sys.argv[5])
CONNECTIONS = BACKLOG + 3

if sys.argv[1] == "server":
    slow, other = listener(int(sys.argv[2]), BACKLOG), listener(int(sys.argv[3]), 8)
    open(sys.argv[5], "w").close()
    other.settimeout(60)
    signal, _ = other.accept()
    check(signal.recv(2) == b"go", "the client's go")
    slow.settimeout(30)
    accepted = [slow.accept()[0] for _ in range(CONNECTIONS)]  # in any order: retransmitted SYNs race
    for connection in accepted:
        connection.settimeout(30)
        connection.sendall(connection.recv(1))
    print("served", len(accepted))
else:
    host, port, other_port = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    clients = []
    for _ in range(CONNECTIONS):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex((host, port))
        established(c, 0.5)
        clients.append(c)
    time.sleep(1.5)  # retransmitted SYNs find the queue as full as before
    complete = sum(established(c, 0) for c in clients)
    check(complete == BACKLOG + 1, f"{complete} connections completed to a listener with backlog {BACKLOG}, not {BACKLOG + 1}")
    signal = socket.create_connection((host, other_port), timeout=10)
    signal.sendall(b"go")
    for index, c in enumerate(clients):
        check(established(c, 20), f"connection {index} did not complete once the server accepted")
        c.setblocking(True)
        c.settimeout(20)
        c.sendall(bytes([index]))
    for index, c in enumerate(clients):
        try:
            echo = c.recv(1)
        except OSError as error:
            echo = error
        check(echo == bytes([index]), f"connection {index}'s echo: {echo!r}")
    print("ok")
