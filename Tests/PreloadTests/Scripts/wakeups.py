"""Lost wake-ups, against an echo server at HOST:PORT: a select sleeping while another thread of the
library also waits for the service's signal (the library's own thread, which takes over the watch
when the program has not waited for a moment) must wake for the echo, also when the other thread
takes the signal of an event that concerns nobody (the peer's acknowledgment of the bytes sent,
which arrives before the echo on a fresh Linux connection). Each round on a fresh connection; a
miss shows as a select that times out. Prints "ok" when every round saw its echo. Run on Linux
(kernel sockets) every round passes."""
import select
import sys
import time

import checks
from checks import check

host, port = sys.argv[1], int(sys.argv[2])
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 50  # below the 64 connections flextcpd gives an application (a closed one keeps its slot a while: ENOBUFS at round 64)

for round in range(rounds):
    try:
        s = checks.connect(host, port)
    except OSError as error:
        sys.exit(f"failed: round {round}: connect: {error}")
    time.sleep(0.005)  # the library's thread takes over the watch (1 ms after the program's last)
    s.sendall(b"w" * 10)
    check(select.select([s], [], [], 3)[0], f"round {round}: select missed the echo for 3 s")
    check(s.recv(10) == b"w" * 10, f"round {round}: the echo")
    s.close()
print("ok")
