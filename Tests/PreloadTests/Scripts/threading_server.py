"""socketserver.ThreadingTCPServer echo: `PORT CONNECTIONS READY` creates READY once it listens;
the main thread accepts (blocking) and every connection is read and written on a thread of its
own (a connection used on another thread than the one that accepted it). Exits after
CONNECTIONS connections were echoed to their end, printing "served N"."""
import socketserver
import sys
import threading

port, connections, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
done = threading.Semaphore(0)


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)
        done.release()


socketserver.ThreadingTCPServer.allow_reuse_address = True
server = socketserver.ThreadingTCPServer(("0.0.0.0", port), Echo)
threading.Thread(target=server.serve_forever, daemon=True).start()
open(ready, "w").close()
for _ in range(connections):
    done.acquire()
server.shutdown()
print("served", connections, flush=True)
