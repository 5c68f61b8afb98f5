#!/usr/bin/env python3
"""Opens N keep-alive HTTP connections to 127.0.0.1:PORT, makes one request
on each (so the server has accepted and registered it, and it is a
keep-alive connection that went quiet), prints "ready N SECONDS" and holds
them, idle, until it is killed. For bench/http_wine.sh.
Usage: idle_conns.py PORT N"""
import resource
import signal
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: idle\r\n\r\n"
BATCH = 50  # connections in flight at once: well inside any accept backlog


def answered(s):
    """Reads one response (http_hello's are small and carry a body)."""
    data = b""
    while b"Hello, world!\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the answer")
        data += chunk


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    start = time.monotonic()
    socks = []
    while len(socks) < n:
        batch = [socket.create_connection(("127.0.0.1", port), timeout=30)
                 for _ in range(min(BATCH, n - len(socks)))]
        for s in batch:
            s.sendall(REQUEST)
        for s in batch:
            answered(s)
        socks += batch
    print(f"ready {len(socks)} {time.monotonic() - start:.2f}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
