"""Serve a fake WeChat API (token, stable_token, getticket) on a free loopback port for tests."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "/cgi-bin/token"
STABLE_TOKEN = "/cgi-bin/stable_token"
GETTICKET = "/cgi-bin/ticket/getticket"

ROTATION_OVERLAP = 300.0  # seconds an old access_token keeps working after a new one is issued


class FakeWeChatServer:
    """Run a threaded HTTP server behaving like api.weixin.qq.com for one app; use as a context manager."""

    def __init__(
        self,
        app_id: str = "wx0123456789abcdef",
        app_secret: str = "s3cr3t-app-secret-0123456789abcd",  # noqa: S107 - test fixture
        *,
        token_expires_in: int = 7200,
        ticket_expires_in: int = 7200,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.token_expires_in = token_expires_in
        self.ticket_expires_in = ticket_expires_in
        self.latency = latency
        self.quota_exhausted = False
        self.clock = clock
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._requests: list[tuple[str, dict[str, Any]]] = []
        self._tokens: dict[str, float] = {}  # access_token -> expires_at
        self._current_token: str | None = None
        self._tickets: list[str] = []
        self._getticket_errors: deque[int] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> FakeWeChatServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve in a background thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                fake._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                fake._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature is fixed
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.block_on_close = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-wechat", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, join the request threads and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        """Return the base URL to use as WECHAT_API_BASE."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ inspection and injection

    def calls(self, path: str) -> int:
        """Return how many requests hit an endpoint path so far."""
        with self._lock:
            return self._calls[path]

    def requests(self, path: str) -> list[dict[str, Any]]:
        """Return the parameters (query or JSON body) of every request to an endpoint path, in order."""
        with self._lock:
            return [dict(params) for p, params in self._requests if p == path]

    @property
    def issued_tokens(self) -> list[str]:
        """Return every access_token issued so far."""
        with self._lock:
            return list(self._tokens)

    @property
    def issued_tickets(self) -> list[str]:
        """Return every jsapi_ticket issued so far, oldest first."""
        with self._lock:
            return list(self._tickets)

    def fail_next_getticket(self, errcode: int, times: int = 1) -> None:
        """Make the next `times` getticket calls answer with an errcode (e.g. 40001), whatever the token."""
        with self._lock:
            self._getticket_errors.extend([errcode] * times)

    def invalidate_tokens(self) -> None:
        """Revoke every access_token issued so far, as if it had been rotated elsewhere long ago."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, float("-inf"))
            self._current_token = None

    # ------------------------------------------------------------------ request handling

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if method == "POST":
            length = int(request.headers.get("Content-Length") or 0)
            raw = request.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._reply(request, 200, {"errcode": 47001, "errmsg": "data format error"})
                return
            params.update(body)
        with self._lock:
            self._calls[parts.path] += 1
            self._requests.append((parts.path, params))
            latency = self.latency
        if latency:
            time.sleep(latency)
        routes = {
            ("GET", TOKEN): self._token,
            ("POST", STABLE_TOKEN): self._stable_token,
            ("GET", GETTICKET): self._getticket,
        }
        route = routes.get((method, parts.path))
        if route is None:
            self._reply(request, 404, {"errcode": 404, "errmsg": "not found"})
            return
        with self._lock:
            answer = route(params)
        self._reply(request, 200, answer)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _check_app(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if params.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if params.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if params.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        return None

    def _issue_token(self) -> dict[str, Any]:
        now = self.clock()
        if self._current_token is not None:  # the old token keeps working a little while
            self._tokens[self._current_token] = min(self._tokens[self._current_token], now + ROTATION_OVERLAP)
        token = "AT_" + secrets.token_urlsafe(24)
        self._tokens[token] = now + self.token_expires_in
        self._current_token = token
        return {"access_token": token, "expires_in": self.token_expires_in}

    def _token(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._check_app(params) or self._issue_token()

    def _stable_token(self, params: dict[str, Any]) -> dict[str, Any]:
        error = self._check_app(params)
        if error:
            return error
        force = params.get("force_refresh", False)
        if not isinstance(force, bool):
            return {"errcode": 40097, "errmsg": "invalid args"}
        current = self._current_token
        remaining = self._tokens[current] - self.clock() if current else 0.0
        if not force and current is not None and remaining > 0:
            return {"access_token": current, "expires_in": int(remaining)}
        return self._issue_token()

    def _getticket(self, params: dict[str, Any]) -> dict[str, Any]:
        if self._getticket_errors:
            errcode = self._getticket_errors.popleft()
            return {"errcode": errcode, "errmsg": f"injected error {errcode} rid: {secrets.token_hex(4)}"}
        if self.quota_exhausted:
            return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
        token = params.get("access_token", "")
        expires_at = self._tokens.get(token)
        if expires_at is None or expires_at == float("-inf"):
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if expires_at <= self.clock():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if params.get("type") != "jsapi":
            return {"errcode": 40097, "errmsg": "invalid args"}
        ticket = f"TICKET_{len(self._tickets) + 1}_{secrets.token_urlsafe(16)}"
        self._tickets.append(ticket)
        return {"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": self.ticket_expires_in}
