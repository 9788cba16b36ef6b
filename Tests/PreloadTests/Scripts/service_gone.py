"""`HOST PORT READY`: connects to a server that sends nothing (retrying while it starts), creates
READY, and blocks in recv; once flextcpd goes away, prints "recv failed ERRNO" and what a new
connection attempt gives ("new socket failed ERRNO")."""
import socket
import sys
import time

host, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 20
while True:
    try:
        s = socket.create_connection((host, port))
        break
    except ConnectionRefusedError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.2)
open(ready, "w").close()
try:
    print("recv returned", s.recv(10), flush=True)
except OSError as error:
    print("recv failed", error.errno, flush=True)
try:
    socket.create_connection((host, port))
    print("new socket connected", flush=True)
except OSError as error:
    print("new socket failed", error.errno, flush=True)
