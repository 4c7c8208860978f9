"""The app served on a free loopback port, for browser tests (its public base URL is that address)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server


def free_port() -> int:
    """Return a loopback port nobody listens on now (the system's choice, so simultaneous runs never share one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """Serve a new app on a free loopback port; yield its URL and the app."""
    from posterbooth import create_app

    holder: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("PUBLIC_BASE_URL", url)
    app = holder["app"] = create_app()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield url, app
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["posterbooth.db"].dispose()
