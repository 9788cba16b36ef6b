"""TCP_MAXSEG reports a connection's MSS in use, both ways, as on Linux: `client HOST PORT_A PORT_B
LINUX_HOST` (run first on Linux) listens on PORT_B with TCP_MAXSEG 1200 set (its SYN-ACK offers
1200), then connects to HOST:PORT_A with TCP_MAXSEG 1000 set (its SYN offers 1000) and sends the
segment size its own connection uses; `server PORT_A PORT_B LINUX_HOST READY` (run on the library)
checks 536 before a connection and the value set before listening, accepts that connection and
compares its TCP_MAXSEG with the client's (both sides send with min(1000, 1460) less the
timestamp option), then connects to LINUX_HOST:PORT_B and does the same with the segment size
Linux's accepted side reports (min(1200, 1460) less the option). The server prints "mss A B",
the client "ok". Run on Linux (kernel sockets) both pass the same way."""
import socket
import sys

from checks import check

MAXSEG = socket.TCP_MAXSEG


def segment_size(s):
    return s.getsockopt(socket.IPPROTO_TCP, MAXSEG)


def read_number(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(16)
        check(chunk, "the peer's segment size")
        data += chunk
    return int(data)


if sys.argv[1] == "server":
    port_a, port_b, linux_host, ready = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    check(segment_size(listener) == 536, f"TCP_MAXSEG of a fresh socket: {segment_size(listener)}")
    listener.setsockopt(socket.IPPROTO_TCP, MAXSEG, 1300)
    check(segment_size(listener) == 1300, f"TCP_MAXSEG set on a listener: {segment_size(listener)}")
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port_a))
    listener.listen(1)
    open(ready, "w").close()
    accepted, _ = listener.accept()
    accepted.settimeout(30)
    linux_a = read_number(accepted)
    mine_a = segment_size(accepted)
    check(mine_a == linux_a and mine_a < 1000, f"accepted: TCP_MAXSEG {mine_a}, Linux's side sends with {linux_a}")
    accepted.sendall(b"next\n")
    connected = socket.create_connection((linux_host, port_b), timeout=30)
    linux_b = read_number(connected)
    mine_b = segment_size(connected)
    check(mine_b == linux_b and 1000 < mine_b <= 1200, f"connected: TCP_MAXSEG {mine_b}, Linux's side sends with {linux_b}")
    connected.close()
    accepted.close()
    print(f"mss {mine_a} {mine_b}")
else:
    host, port_a, port_b = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.IPPROTO_TCP, MAXSEG, 1200)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port_b))
    listener.listen(1)
    listener.settimeout(30)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.IPPROTO_TCP, MAXSEG, 1000)
    c.settimeout(30)
    c.connect((host, port_a))
    c.sendall(b"%d\n" % segment_size(c))
    check(c.recv(5) == b"next\n", "the server's next")
    back, _ = listener.accept()
    back.sendall(b"%d\n" % segment_size(back))
    back.settimeout(30)
    check(back.recv(1) == b"", "the server's close")
    print("ok")
