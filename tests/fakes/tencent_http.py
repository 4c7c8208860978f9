"""The fake Tencent Cloud's HTTP side: a threading server that can cut connections, and its handler."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.fakes.tencent_rules import (
    _JOB_ACTIONS,
    MAX_BODY,
    ApiError,
    ReceivedCall,
)

if TYPE_CHECKING:
    from tests.fakes.tencent_server import FakeTencentCloud


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handler threads
    block_on_close = True
    fake: FakeTencentCloud

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Shut down every open client connection so its handler thread ends."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # client went away, or we cut the connection
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTencentCloud/1.0"
    timeout = 30
    server: _Server

    def setup(self) -> None:
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK add 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from the base class
        return

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, response: dict[str, Any]) -> None:
        response["RequestId"] = str(uuid.uuid4())
        body = json.dumps({"Response": response}, ensure_ascii=False).encode("utf-8")
        self._send(200, body, "application/json")

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        fake = self.server.fake
        m = re.fullmatch(r"/results/([0-9a-f]{32})\.(png|gif)", self.path)
        data = fake.results.get(m.group(1)) if m else None
        if data is None:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, data, "image/gif" if data.startswith(b"GIF") else "image/png")

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        fake = self.server.fake
        length_text = self.headers.get("Content-Length", "0")
        length = int(length_text) if length_text.isdigit() else 0
        if length > MAX_BODY:
            self._send_json(
                {"Error": {"Code": "RequestSizeLimitExceeded", "Message": "Request body too large."}}
            )
            self.close_connection = True
            return
        body = self.rfile.read(length)
        if fake.slow:
            fake._stopping.wait(fake.slow)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path != "/":
            self._send_json({"Error": {"Code": "InvalidRequest", "Message": f"Path {self.path} not found."}})
            return
        try:
            action, rule = fake._verify(headers, body)
        except ApiError as exc:
            with fake._lock:
                fake.auth_failures[exc.code] += 1
            self._send_json({"Error": {"Code": exc.code, "Message": exc.message}})
            return
        try:
            params = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, ValueError):
            params = None
        with fake._lock:
            fake.calls[action] += 1
            fake.received.append(ReceivedCall(action, params if isinstance(params, dict) else {}, headers))
        fault = fake._next_fault(action, generating=action not in _JOB_ACTIONS.values())
        if fault is not None and fault.delay:
            fake._stopping.wait(fault.delay)
        if fault is not None and fault.code == "drop":
            self._drop()
            return
        if fault is not None and fault.code == "non_json":
            self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        if fault is not None and fault.code == "http_502":
            self._send(502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        try:
            if fault is not None and fault.code != "drop_after":
                raise ApiError(fault.code, fault.message)
            fake._check_params(action, rule, params)
            response = fake.handle(action, params)
        except ApiError as exc:
            self._send_json({"Error": {"Code": exc.code, "Message": exc.message}})
            return
        if fault is not None and fault.code == "drop_after":
            self._drop()
            return
        self._send_json(response)
