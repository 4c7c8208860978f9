"""Serve a fake of WeChat's web OAuth (open.weixin.qq.com authorize + api.weixin.qq.com code exchange) for tests."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

AUTHORIZE = "/connect/oauth2/authorize"
EXCHANGE = "/sns/oauth2/access_token"


class FakeWeChatOAuth:
    """One Official Account's silent OAuth: the authorize page redirects back with a one-time code that the
    exchange turns into the current user's openid. Codes live ``code_ttl`` seconds and work once."""

    def __init__(self, app_id: str = "wx0123456789abcdef",
                 app_secret: str = "oauth-secret-0123456789abcdef",  # noqa: S107 - test fixture
                 *, code_ttl: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.code_ttl = code_ttl
        self.clock = clock
        #: The openid of the WeChat user who opens the authorize page next.
        self.user = "o" + secrets.token_urlsafe(20)
        #: When True the authorize page comes back without a code, as when the user refuses.
        self.refuse = False
        self.exchanges: list[dict[str, str]] = []
        self.authorizations: list[dict[str, str]] = []
        self._codes: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeWeChatOAuth:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature is fixed
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.block_on_close = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """Return the base URL, for WECHAT_OAUTH_BASE and WECHAT_API_BASE alike."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path == AUTHORIZE:
            self._authorize(request, params)
        elif parts.path == EXCHANGE:
            self._reply(request, self._exchange(params))
        else:
            self._reply(request, {"errcode": 404, "errmsg": "not found"}, 404)

    def _authorize(self, request: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        with self._lock:
            self.authorizations.append(params)
        if params.get("appid") != self.app_id or params.get("scope") != "snsapi_base" or not params.get(
                "redirect_uri") or params.get("response_type") != "code":
            self._reply(request, {"errcode": 10003, "errmsg": "redirect_uri or parameters invalid"}, 400)
            return
        query = {"state": params.get("state", "")}
        if not self.refuse:
            code = secrets.token_urlsafe(16)
            with self._lock:
                self._codes[code] = (self.user, self.clock() + self.code_ttl)
            query["code"] = code
        request.send_response(302)
        request.send_header("Location", f"{params['redirect_uri']}?{urlencode(query)}")
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _exchange(self, params: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.exchanges.append(params)
            if params.get("appid") != self.app_id or params.get("secret") != self.app_secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            if params.get("grant_type") != "authorization_code":
                return {"errcode": 40002, "errmsg": "invalid grant_type"}
            found = self._codes.pop(params.get("code", ""), None)
        if found is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        openid, expires = found
        if expires <= self.clock():
            return {"errcode": 40029, "errmsg": "invalid code, code expired"}
        return {"access_token": "ACCESS_" + secrets.token_urlsafe(8), "expires_in": 7200,
                "refresh_token": "REFRESH", "openid": openid, "scope": "snsapi_base"}

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, payload: dict[str, Any], status: int = 200) -> None:
        body = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
