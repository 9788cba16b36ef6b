"""What the semantics scripts share: a check that ends the script with the failure, and a
blocking connection."""
import socket
import sys


def check(condition, what):
    """Ends the script with "failed: WHAT" unless `condition` holds."""
    if not condition:
        sys.exit(f"failed: {what}")


def connect(host, port):
    """A blocking TCP connection to HOST:PORT."""
    s = socket.create_connection((host, port), timeout=None)
    s.setblocking(True)
    return s
