"""Webhook receivers on 127.0.0.1 for the tests: a well-behaved HTTP endpoint, and raw sockets
that misbehave the way real receivers do (hang, trickle their answer)."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A webhook endpoint on loopback. ``failing`` makes it answer 503; ``stop()`` closes the
    socket (connection refused) and ``start()`` listens again on the same port."""

    def __init__(self):
        self.requests: list[dict] = []
        self.failing = False
        # Set by a test to keep the answer to the next request waiting until it is set.
        self.hold: threading.Event | None = None
        self.port = 0
        self.server = None
        self.thread = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 503 if receiver.failing else 200
                receiver.requests.append(
                    {"key": self.headers["Idempotency-Key"], "status": status, "body": body, "headers": dict(self.headers), "path": self.path}
                )
                hold, receiver.hold = receiver.hold, None
                if hold is not None:
                    hold.wait(60)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/yichuang"


class RawReceiver:
    """A listener on loopback that reads each request and then misbehaves:

    * ``hang``: never answers;
    * ``trickle-headers``: starts a 200 answer and sends its headers one byte every 0.1 s, without end;
    * ``trickle-body``: sends a 200 with its headers, then the body one byte every 0.1 s.

    ``accepted`` counts connections and ``keys`` the idempotency keys of the requests read."""

    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.accepted = 0
        self.keys: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65536)
            head, _, body = request.partition(b"\r\n\r\n")
            headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
            while len(body) < int(headers["Content-Length"]):
                body += connection.recv(65536)
            self.keys.append(headers["Idempotency-Key"])
            if self.behaviour == "trickle-headers":
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            elif self.behaviour == "trickle-body":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while not self._closed.is_set():
                if self.behaviour != "hang":
                    connection.sendall(b"x")
                time.sleep(0.1)
        except OSError:  # the client gave up
            pass

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        for connection in self._connections:
            connection.close()
