"""The engine's own words in zh-CN and English, with Flask-Babel."""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel
from flask_babel import lazy_gettext as _l

from posterbooth.config import ROOT

LOCALES = ("zh", "en")
TRANSLATIONS = ROOT / "posterbooth" / "translations"

ANSWER_MESSAGES = {
    "missing": _l("Please answer this question."),
    "unknown_option": _l("That choice is not one of the options. Please choose again."),
    "too_few": _l("Please choose at least %(min)d."),
    "too_many": _l("Please choose at most %(max)d."),
    "too_long": _l("Please keep it to %(max)d characters."),
    "blocked": _l("Some words in your answer can't be used. Please say it another way."),
    "unknown_question": _l("This question is not part of the campaign."),
}

FAILURE_MESSAGES = {
    "moderation": _l("The picture service turned these answers down. Please change your answers and try again."),
    "provider": _l("The picture service had a problem making your poster. Please try again."),
    "campaign_gone": _l("This campaign has ended, so your poster can no longer be made."),
    "internal": _l("Something went wrong while making your poster. Please try again."),
    "removed": _l("This poster has been removed by the organiser."),
}


def babel_locale(campaign_locale: str) -> str:
    """Return the Babel locale for a campaign locale (zh-CN → zh)."""
    return "zh" if campaign_locale.lower().startswith("zh") else "en"


def use_locale(campaign_locale: str) -> None:
    """Show this request's pages in the campaign's language."""
    g.locale = babel_locale(campaign_locale)


def select_locale() -> str:
    """Return the locale for this request: the campaign's, else the browser's, else Chinese."""
    chosen = g.get("locale")
    if chosen:
        return chosen
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"]) if request else None
    return "en" if best == "en" else "zh"


def html_lang() -> str:
    """Return the value of the page's lang attribute."""
    return "zh-CN" if select_locale() == "zh" else "en"


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with Posterbooth's translations."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["html_lang"] = html_lang
