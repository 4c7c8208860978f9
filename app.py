"""Posterbooth entry point.

``python app.py`` runs everything on one machine: an embedded Redis, rq workers, SQLite,
the offline image provider and the demo campaigns. With ``REDIS_URL`` set it serves the
web only and leaves the jobs to ``rq worker`` processes. ``gunicorn 'app:create_app()'``
serves the web in scaled mode; ``flask --app app campaigns validate`` checks campaigns.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import signal
import socket
import sys
import threading
from contextlib import nullcontext
from types import FrameType
from typing import Any

from posterbooth import create_app
from posterbooth.campaigns import CampaignError, load_all
from posterbooth.config import PUBLIC_BASE_URL_MISSING, ConfigError, load_settings
from posterbooth.embedded import EmbeddedServices
from posterbooth.migrate import upgrade

__all__ = ["create_app", "main"]

log = logging.getLogger("posterbooth")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python app.py", description="Run Posterbooth.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes in embedded mode (default EMBEDDED_WORKERS or 2)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the web server, and in embedded mode Redis and the workers too, until Ctrl-C."""
    args = _parse(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.LOG_LEVEL, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        load_all(settings.CAMPAIGNS_DIR)  # stop here, with one clear message, if a campaign is wrong
        if not settings.embedded and not settings.PUBLIC_BASE_URL:
            raise ConfigError(PUBLIC_BASE_URL_MISSING)
    except (CampaignError, ConfigError) as exc:
        print(f"posterbooth: cannot start: {exc}", file=sys.stderr)
        return 2

    from werkzeug.serving import make_server

    # Bound before anything starts: the embedded demo's links (QR codes, share links) use the address it serves
    # on, unless PUBLIC_BASE_URL says otherwise; the app and the workers are given the same one.
    holder: dict[str, Any] = {}
    server = make_server(args.host, args.port, lambda environ, start: holder["app"](environ, start), threaded=True)
    if not settings.PUBLIC_BASE_URL:  # embedded mode only (checked above)
        settings = dataclasses.replace(settings, PUBLIC_BASE_URL=serving_url(args.host, server.server_port))
    upgrade(settings.DATABASE_URL)  # once, before any worker starts (gunicorn deployments run `flask db upgrade`)
    services = EmbeddedServices(settings, workers=args.workers) if settings.embedded else nullcontext()
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        with services as running:
            config = {"REDIS_URL": running.url} if running is not None else {}
            holder["app"] = create_app({**config, "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL})
            mode = "embedded" if settings.embedded else "web only"
            print(f" * Posterbooth ({mode}) on http://{args.host}:{server.server_port}/, links to "
                  f"{settings.PUBLIC_BASE_URL}/  (Ctrl-C to stop)", flush=True)
            if running is not None:
                threading.Thread(target=_watch, args=(running, stop), daemon=True).start()
            try:
                server.serve_forever()
            finally:
                server.server_close()
    except KeyboardInterrupt:
        pass
    print(" * Posterbooth stopped", flush=True)
    return 0


def serving_url(host: str, port: int) -> str:
    """Return the base URL of the address the demo serves on (this machine's LAN address for 0.0.0.0)."""
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - recognising the wildcard, not binding to it
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            host = probe.getsockname()[0]
        if host in {"0.0.0.0", "::", ""}:  # noqa: S104
            host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _watch(services: EmbeddedServices, stop: threading.Event) -> None:
    """Restart worker processes that died (the workers' clock does every other periodic job)."""
    while not stop.wait(5):
        try:
            services.check_workers()
        except Exception:  # noqa: BLE001 - the watchdog must keep running
            log.exception("embedded watchdog failed")


if __name__ == "__main__":
    raise SystemExit(main())
