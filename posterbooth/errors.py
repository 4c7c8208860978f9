"""Friendly error pages in the attendee's language: never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import refresh
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _campaign_language() -> None:
    """Speak the campaign's language on an error page of one of its URLs (also when no view ran)."""
    from flask import current_app, g

    from posterbooth.i18n import use_locale

    if g.get("locale"):
        return
    slug = str((request.view_args or {}).get("slug", ""))
    parts = request.path.split("/")
    if not slug and len(parts) > 2 and parts[1] == "c":
        slug = parts[2]
    loaded = current_app.extensions.get("posterbooth.campaigns", {}).get(slug) if slug else None
    if loaded is not None:
        use_locale(loaded.definition.locale)
        refresh()


def error_page(status: int, title: str, message: str, *, back_url: str | None = None) -> tuple[str, int]:
    """Render the error page with a title and a plain message, in the campaign's language."""
    _campaign_language()
    return render_template("errors/error.html", status=status, title=title, message=message,
                           back_url=back_url), status


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Something was wrong with that request"), _("Please go back and try again.")),
        404: (_("Page not found"), _("This page does not exist. Check the link or scan the QR code again.")),
        405: (_("Not allowed"), _("Please use the buttons on the page.")),
        413: (_("File too large"), _("What you sent is too large. Please go back and try something smaller.")),
        429: (_("Slow down a little"), _("Too many tries in a short time. Please wait a minute and try again.")),
        500: (_("Something went wrong"), _("We could not finish this. Please try again in a moment.")),
        503: (_("Very busy right now"), _("Please try again in a moment.")),
    }


def http_error(exc: HTTPException) -> tuple[str, int] | Response:
    """Render the friendly page of an HTTP error (a plain one for a request to a host that is not ours)."""
    status = exc.code or 500
    if request_ctx.url_adapter is not None:
        _campaign_language()
    if request_ctx.url_adapter is None:  # an untrusted Host: no URLs can be built, so no page with links
        title, _message = _messages()[400]
        return Response(f"{status} {title}\n", status=status, mimetype="text/plain")
    title, message = _messages().get(status, _messages()[400 if status < 500 else 500])
    return error_page(status, title, message)


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    _campaign_language()
    return error_page(
        400, _("This page has expired"),
        _("Your session ran out or cookies are blocked. Please go back, reload the page and try again."),
        back_url=request.path,
    )


def _unexpected(exc: Exception) -> tuple[str, int]:
    log.exception("unhandled error on %s %s", request.method, request.path)
    _campaign_language()
    title, message = _messages()[500]
    return error_page(500, title, message)


def init_app(app: Flask) -> None:
    """Register the friendly error handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, _unexpected)
