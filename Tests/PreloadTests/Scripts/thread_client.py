"""THREADS threads each connect to HOST:PORT, send BYTES seeded bytes while reading the echo
(sendall on one thread, recv on another), and compare SHA-256; also a non-blocking connect
(EINPROGRESS, select, SO_ERROR), MSG_PEEK, getpeername, and a refused non-blocking connect to
REFUSED_PORT. Prints "ok" on success."""
import hashlib
import random
import select
import socket
import sys
import threading

host, port, threads, size, refused_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
failures = []


def nonblocking_connect(target_port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    code = s.connect_ex((host, target_port))
    assert code in (0, 115), code  # EINPROGRESS
    _, writable, _ = select.select([], [s], [], 10)
    assert writable, "connect not writable within 10 s"
    return s, s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


def one(index):
    try:
        payload = random.Random(index).randbytes(size)
        s, error = nonblocking_connect(port)
        assert error == 0, error
        s.setblocking(True)
        s.settimeout(30)
        assert s.getpeername() == (host, port), s.getpeername()
        sender = threading.Thread(target=s.sendall, args=(payload,))
        sender.start()
        first = s.recv(1, socket.MSG_PEEK)
        assert first == payload[:1], "peek"
        digest, received = hashlib.sha256(), 0
        while received < size:
            data = s.recv(65536)
            assert data, "early end of stream"
            digest.update(data)
            received += len(data)
        sender.join()
        s.shutdown(socket.SHUT_WR)
        assert s.recv(1) == b"", "no end of stream after our FIN"
        s.close()
        assert digest.hexdigest() == hashlib.sha256(payload).hexdigest(), "echo differs"
    except Exception as error:  # reported below
        failures.append(f"connection {index}: {error!r}")


workers = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
refused, error = nonblocking_connect(refused_port)
if error != 111:  # ECONNREFUSED
    failures.append(f"refused connect gave {error}")
refused.close()
if failures:
    sys.exit("\n".join(failures))
print("ok", flush=True)
