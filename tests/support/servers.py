"""HTTP and HTTPS servers on 127.0.0.1 for the runtime tests.

Each server runs in a thread, records every request it receives exactly as
it arrived, and responds with what its ``handler`` returns. Servers listen on
an ephemeral port, and the fixtures stop them at the end of each test.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Seconds a server connection waits for the client before it gives up, so
# that no server thread outlives a test by long.
SERVER_SOCKET_TIMEOUT = 5.0
# The maximum delay that a handler may request, in seconds.
MAX_DELAY = 2.0
CHUNK_SIZE = 64 * 1024


@dataclass
class ReceivedRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    client_port: int

    def header(self, name: str) -> str | None:
        """Return the first value of header ``name``, or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: list[tuple[str, str]] = field(
        default_factory=lambda: [("Content-Type", "text/plain; charset=utf-8")]
    )
    # Seconds to wait before responding, at most MAX_DELAY.
    delay: float = 0.0
    # Send the body with chunked transfer coding, without Content-Length.
    chunked: bool = False


Handler = Callable[[ReceivedRequest], Reply]


def reply_ok(request: ReceivedRequest) -> Reply:
    return Reply()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):
        # The test output stays quiet; requests are recorded instead.
        pass

    def _handle(self) -> None:
        # Record the request as it arrived, then send the handler's reply.
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        received = ReceivedRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            client_port=self.client_address[1],
        )
        owner = self.server.owner
        owner.requests.append(received)

        reply = owner.handler(received)
        if reply.delay:
            time.sleep(min(reply.delay, MAX_DELAY))
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()

        if self.command == "HEAD":
            return
        if not reply.chunked:
            self.wfile.write(reply.body)
            return
        for start in range(0, len(reply.body), CHUNK_SIZE):
            chunk = reply.body[start : start + CHUNK_SIZE]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: TestServer

    def finish_request(self, request, client_address):
        request.settimeout(SERVER_SOCKET_TIMEOUT)
        if self.owner.ssl_context is not None:
            try:
                request = self.owner.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                # A client that rejects the certificate ends the handshake.
                self.owner.failed_handshakes += 1
                return
        self.owner.connections += 1
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        # Clients that close early are expected in the fault tests.
        pass


class TestServer:
    """A threaded HTTP(S) server on 127.0.0.1 with a replaceable handler."""

    __test__ = False

    def __init__(
        self, handler: Handler = reply_ok, ssl_context: ssl.SSLContext | None = None
    ):
        self.handler = handler
        self.ssl_context = ssl_context
        self.requests: list[ReceivedRequest] = []
        self.connections = 0
        self.failed_handshakes = 0
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True

    def start(self) -> TestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=SERVER_SOCKET_TIMEOUT)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    def url(self, host: str = "127.0.0.1", path: str = "") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    @property
    def last(self) -> ReceivedRequest:
        return self.requests[-1]


def unused_port() -> socket.socket:
    """Return a socket bound to a port on 127.0.0.1 that accepts nothing.

    The socket never listens, so connecting to its port is refused. Keep it
    open while the test runs so that no other process takes the port.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


class TrickleServer:
    """A server on 127.0.0.1 that sends its response one byte at a time.

    For each connection it reads the request head and sends ``prefix`` at
    once. Then it sends ``response`` one byte every ``interval`` seconds,
    until all of it is sent or the client closes the connection. So each
    read of a client gets a byte well within a per-read timeout, and only an
    overall deadline stops it.
    """

    __test__ = False

    def __init__(self, response: bytes, interval: float = 0.1, prefix: bytes = b""):
        self.response = response
        self.interval = interval
        self.prefix = prefix
        # Bytes of ``response`` sent on all connections, and connections
        # closed by clients.
        self.sent = 0
        self.disconnects = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> TrickleServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=SERVER_SOCKET_TIMEOUT)
        self._listener.close()

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(
                target=self._serve, args=(connection,), daemon=True
            ).start()

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(SERVER_SOCKET_TIMEOUT)
        with connection:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < CHUNK_SIZE:
                data = connection.recv(4096)
                if not data:
                    return
                head += data
            try:
                connection.sendall(self.prefix)
            except OSError:
                return
            for index in range(len(self.response)):
                if self._stopping.wait(self.interval):
                    return
                try:
                    connection.sendall(self.response[index : index + 1])
                except OSError:
                    self.disconnects += 1
                    return
                self.sent += 1
