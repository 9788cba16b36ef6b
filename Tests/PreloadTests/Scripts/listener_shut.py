"""shutdown(SHUT_RD) on a listener closes the connections it holds for accept: `server PORT_A
PORT_B READY` listens on PORT_A (not accepting) and PORT_B; `client HOST PORT_A PORT_B` connects to
PORT_A, then says "go" over PORT_B; the server shuts PORT_A's reading (accept then fails with
EINVAL), closes it and says "shut"; the client's connection to PORT_A must then end (end of stream
or a reset) while the server process still runs, never hang. The client prints "ok", the server
"shut". Run on Linux (kernel sockets) it passes the same way (the peer sees a reset)."""
import errno
import socket
import sys
import time

from checks import check

if sys.argv[1] == "server":
    listeners = []
    for port in (int(sys.argv[2]), int(sys.argv[3])):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(4)
        listeners.append(s)
    held, other = listeners
    open(sys.argv[4], "w").close()
    other.settimeout(60)
    signal, _ = other.accept()
    signal.settimeout(60)
    check(signal.recv(2) == b"go", "the client's go")
    time.sleep(0.5)  # the connection to PORT_A waits for accept
    held.shutdown(socket.SHUT_RD)
    held.setblocking(False)
    try:
        held.accept()
        check(False, "accept on a shut listener succeeded")
    except OSError as error:
        check(error.errno == errno.EINVAL, f"accept on a shut listener: errno {error.errno}")
    held.close()
    signal.sendall(b"shut")
    signal.recv(3)  # stay alive until the client has seen its connection end
    print("shut")
else:
    host, port, other_port = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    c = socket.create_connection((host, port), timeout=10)
    signal = socket.create_connection((host, other_port), timeout=10)
    signal.sendall(b"go")
    check(signal.recv(4) == b"shut", "the server's shut")
    c.settimeout(10)
    try:
        ended = c.recv(1) == b""
    except ConnectionResetError:
        ended = True
    except socket.timeout:
        ended = False
    check(ended, "the connection held for accept stayed open after the listener was shut and closed")
    signal.sendall(b"bye")
    print("ok")
