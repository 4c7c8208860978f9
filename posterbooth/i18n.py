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

UPLOAD_MESSAGES = {
    "missing": _l("Please take a photo or choose one from your album."),
    "consent": _l("Please tick the box to agree before your photo is used."),
    "empty": _l("That file is empty. Please choose a photo."),
    "too_large": _l("That photo is larger than %(mb)d MB. Please choose a smaller one."),
    "too_many_pixels": _l("That picture is far too big to process. Please choose an ordinary photo."),
    "too_small": _l("That picture is too small. Please choose a larger photo."),
    "not_an_image": _l("That file is not a photo. Please choose a JPEG, PNG, WebP or HEIC picture."),
    "unsupported_format": _l("Pictures in that format can't be used. Please choose a JPEG, PNG, WebP or HEIC photo."),
    "animated": _l("Moving pictures can't be used. Please choose a still photo."),
    "broken": _l("That photo could not be read (it may be damaged or incomplete). Please choose another one."),
}

FAILURE_MESSAGES = {
    "moderation": _l("The picture service turned these answers down. Please change your answers and try again."),
    "provider": _l("The picture service had a problem making your poster. Please try again."),
    "busy": _l("The picture service is too busy right now and could not make your poster. "
               "Please try again in a few minutes."),
    "provider_setup": _l("The picture service could not use this campaign's picture settings. "
                         "The organiser has been told; please try again later."),
    "campaign_gone": _l("This campaign has ended, so your poster can no longer be made."),
    "internal": _l("Something went wrong while making your poster. Please try again."),
    "removed": _l("This poster has been removed by the organiser."),
    "expired": _l("This poster was deleted when the campaign's storage period ended."),
    "photo_rejected": _l("The picture service could not use your photo. Please try another one: "
                         "a clear, well-lit photo works best."),
    "photo_face": _l("The picture service could not find just one clear face in your photo. Please take a clearer "
                     "photo of just you: your face to the camera, well lit, with no one else in it."),
    "face_rejected": _l("Please take a clearer photo of just you: one face, well lit, looking at the camera."),
    "photo_missing": _l("Your photo was deleted before the poster could be made. Please add it again."),
    "photo_deleted": _l("Your photo has been deleted, and with it the poster, share card and pictures made "
                        "from it."),
}

#: "Change it" edits (posterbooth.versions): why one cannot be made, and how the last one ended.
EDIT_MESSAGES = {
    "missing": _l("Please say what you would change."),
    "busy": _l("Your last change is still being made. Please wait for it."),
    "used_up": _l("You have used all your changes for this poster."),
    "unavailable": _l("This poster can't be changed."),
    "rejected": _l("The picture service turned that change down. Please describe it another way."),
    "failed": _l("Your change could not be made this time. Your earlier versions are still here."),
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
