"""The attendee's path through a campaign: landing, one question per screen, style, submit."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import redis
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _

from posterbooth import events
from posterbooth.answers import AnswerError, find_blocked, parse_answer, visible_questions
from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import get_db
from posterbooth.devices import device_id
from posterbooth.errors import error_page
from posterbooth.i18n import ANSWER_MESSAGES, use_locale
from posterbooth.participations import create_participation, latest_for_device
from posterbooth.photos import attach_inputs
from posterbooth.qr import qr_png, qr_svg
from posterbooth.queue import enqueue_generation, get_queue
from posterbooth.security import limiter
from posterbooth.views import campaign_or_404, public_base_url
from posterbooth.views.paused import campaign_paused, paused_page
from posterbooth.views.photos import draft_inputs, photo_context, store_photo, stored_photo

log = logging.getLogger(__name__)

bp = Blueprint("campaign", __name__, url_prefix="/c")

STYLE_STEP = "style"


def _rate() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


# --- drafts: the answers so far, kept in the signed session cookie -------------------------------

def _draft(slug: str, create: bool = True) -> dict[str, Any] | None:
    drafts = session.get("drafts", {})
    draft = drafts.get(slug)
    if draft is None and create:
        draft = {"key": secrets.token_urlsafe(12), "answers": {}, "style": "", "ref": "", "ch": ""}
        drafts[slug] = draft
        session["drafts"] = drafts
        session.permanent = True
    return draft


def _save_draft(slug: str, draft: dict[str, Any]) -> None:
    drafts = session.get("drafts", {})
    drafts[slug] = draft
    session["drafts"] = drafts


def _steps(loaded: LoadedCampaign, answers: dict[str, Any]) -> list[str]:
    steps = [q.id for q in visible_questions(loaded.definition, answers)]
    if loaded.definition.has_style_step:
        steps.append(STYLE_STEP)
    return steps


def _step_url(slug: str, step: str) -> str:
    if step == STYLE_STEP:
        return url_for("campaign.style", slug=slug)
    return url_for("campaign.question", slug=slug, question_id=step)


def _first_unanswered(loaded: LoadedCampaign, draft: dict[str, Any]) -> str | None:
    for step in _steps(loaded, draft["answers"]):
        if step == STYLE_STEP:
            if not draft.get("style"):
                return step
        elif step not in draft["answers"]:
            return step
        elif loaded.definition.question(step).type == "photo" and stored_photo(draft, step) is None:
            return step  # the photo is gone (a draft made from an earlier poster's answers)
    return None


def _closed_page(loaded: LoadedCampaign) -> tuple[str, int]:
    if not loaded.has_started():
        return error_page(403, _("Not open yet"), _("This campaign has not started yet. Please come back later."))
    return error_page(403, _("This campaign has ended"), _("Thank you for your interest. This campaign is closed."))


# --- landing, assets and entry QR codes --------------------------------------------------------

@bp.get("/<slug>")
def landing(slug: str) -> Any:
    """Show the campaign's landing page, or bring a returning attendee back to their poster."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    ref = request.args.get("ref", "")[:16]
    channel = request.args.get("ch", "")[:40]
    if ref or channel:
        draft = _draft(slug)
        draft["ref"] = ref or draft.get("ref", "")
        draft["ch"] = channel or draft.get("ch", "")
        _save_draft(slug, draft)
    events.record("landing_view", slug, ref=ref, channel=channel)
    if ref:
        events.record("referred_visit", slug, ref=ref, channel=channel)
    if not request.args.get("again"):
        latest = latest_for_device(get_db(), slug, device_id())
        if latest is not None and latest.status in {"queued", "running", "done"}:
            return redirect(url_for("result.show", public_id=latest.public_id))
    campaign = loaded.definition
    first = _steps(loaded, {})[0]
    return render_template(
        "campaign/landing.html", loaded=loaded, campaign=campaign, open=loaded.is_open(),
        started=loaded.has_started(), start_url=_step_url(slug, first), paused=campaign_paused(slug),
    )


@bp.get("/<slug>/asset/<kind>")
def asset(slug: str, kind: str) -> Response:
    """Serve the campaign's cover or logo image."""
    loaded = campaign_or_404(slug)
    if kind not in {"cover", "logo"}:
        abort(404)
    path = loaded.asset(getattr(loaded.definition.assets, kind))
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, max_age=24 * 3600)


def _entry_url(slug: str) -> str:
    channel = request.args.get("ch", "")[:40]
    url = f"{public_base_url()}/c/{slug}"
    return f"{url}?ch={channel}" if channel else url


@bp.get("/<slug>/qr.png")
def qr_code_png(slug: str) -> Response:
    """Return the campaign's print-ready entry QR code as PNG."""
    campaign_or_404(slug)
    response = Response(qr_png(_entry_url(slug)), mimetype="image/png")
    response.headers["Content-Disposition"] = f'inline; filename="{slug}-qr.png"'
    return response


@bp.get("/<slug>/qr.svg")
def qr_code_svg(slug: str) -> Response:
    """Return the campaign's entry QR code as SVG, for print."""
    campaign_or_404(slug)
    response = Response(qr_svg(_entry_url(slug)), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{slug}-qr.svg"'
    return response


# --- questions ----------------------------------------------------------------------------------

def _render_question(loaded: LoadedCampaign, draft: dict[str, Any], question_id: str,
                     error: str | None = None, status: int = 200, typed: str | None = None) -> tuple[str, int]:
    campaign = loaded.definition
    question = campaign.question(question_id)
    steps = _steps(loaded, draft["answers"])
    index = steps.index(question_id)
    back = _step_url(campaign.slug, steps[index - 1]) if index else url_for("campaign.landing", slug=campaign.slug,
                                                                             again=1)
    current = draft["answers"].get(question_id)
    chosen = set(current) if isinstance(current, list) else ({current} if current else set())
    return render_template(
        "campaign/question.html", loaded=loaded, campaign=campaign, question=question, draft=draft,
        step=index + 1, total=len(steps), is_last=index == len(steps) - 1, back_url=back,
        chosen=chosen, text_value=typed if typed is not None else (current if isinstance(current, str) else ""),
        error=error, **(photo_context(loaded, draft, question) if question.type == "photo" else {}),
    ), status


def _guard(loaded: LoadedCampaign) -> Any:
    if not loaded.is_open():
        return _closed_page(loaded)
    if campaign_paused(loaded.slug):
        return paused_page(loaded)
    return None


@bp.get("/<slug>/q/<question_id>")
def question(slug: str, question_id: str) -> Any:
    """Show one question."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (closed := _guard(loaded)) is not None:
        return closed
    if loaded.definition.question(question_id) is None:
        abort(404)
    draft = _draft(slug)
    steps = _steps(loaded, draft["answers"])
    if question_id not in steps:
        missing = _first_unanswered(loaded, draft)
        return redirect(_step_url(slug, missing or steps[0]))
    missing = _first_unanswered(loaded, draft)
    if missing is not None and steps.index(missing) < steps.index(question_id):
        return redirect(_step_url(slug, missing))
    if steps.index(question_id) == 0:
        events.record("start", slug, ref=draft.get("ref", ""), channel=draft.get("ch", ""))
    return _render_question(loaded, draft, question_id)


def _already_submitted(slug: str) -> Any:
    """Send a repeated tap on a submitted draft to its result instead of making a second poster."""
    key = request.form.get("draft", "")
    done = session.get("submitted", {}).get(slug)
    if key and done and done.get("key") == key:
        return redirect(url_for("result.show", public_id=done["public_id"]))
    return None


def _answer_message(error: AnswerError) -> str:
    return ANSWER_MESSAGES.get(error.code, ANSWER_MESSAGES["missing"]) % error.params


@bp.post("/<slug>/q/<question_id>")
@limiter.limit(_rate, methods=["POST"])
def answer(slug: str, question_id: str) -> Any:
    """Check and keep one answer, then go to the next step or submit."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (closed := _guard(loaded)) is not None:
        return closed
    if (repeat := _already_submitted(slug)) is not None:
        return repeat
    question = loaded.definition.question(question_id)
    if question is None:
        return error_page(404, _("Question not found"), _("This question is not part of the campaign."),
                          back_url=url_for("campaign.landing", slug=slug, again=1))
    draft = _draft(slug)
    steps = _steps(loaded, draft["answers"])
    if question_id not in steps:
        return redirect(_step_url(slug, _first_unanswered(loaded, draft) or steps[0]))
    if question.type == "photo":
        problem = store_photo(loaded, draft, question)
        if problem is not None:
            return _render_question(loaded, draft, question_id, error=problem, status=422)
        _save_draft(slug, draft)
        events.record("answer", slug, ref=draft.get("ref", ""), channel=draft.get("ch", ""), step=question_id)
        return _advance(loaded, draft, question_id)
    try:
        value = parse_answer(question, request.form.getlist("answer"))
        if question.type == "text" and value:
            words = [*loaded.definition.prompt.blocklist, *current_app.extensions.get("posterbooth.blocklist", [])]
            if find_blocked(value, words):
                raise AnswerError("blocked", question.id)
    except AnswerError as exc:
        # Keep what the attendee typed in the field, so that fixing it is one small edit.
        typed = request.form.get("answer", "")[: question.max_length] if question.type == "text" else None
        return _render_question(loaded, draft, question_id, error=_answer_message(exc), status=422, typed=typed)
    draft["answers"][question_id] = value
    _save_draft(slug, draft)
    events.record("answer", slug, ref=draft.get("ref", ""), channel=draft.get("ch", ""), step=question_id)
    return _advance(loaded, draft, question_id)


def _advance(loaded: LoadedCampaign, draft: dict[str, Any], current: str) -> Any:
    steps = _steps(loaded, draft["answers"])
    missing = _first_unanswered(loaded, draft)
    if missing is None:
        return _submit(loaded, draft)
    following = steps[steps.index(current) + 1:] if current in steps else steps
    target = next((s for s in following if s == missing or s not in draft["answers"]), missing)
    return redirect(_step_url(loaded.slug, target))


# --- style and submit ---------------------------------------------------------------------------

def _render_style(loaded: LoadedCampaign, draft: dict[str, Any], error: str | None = None,
                  status: int = 200) -> tuple[str, int]:
    steps = _steps(loaded, draft["answers"])
    return render_template(
        "campaign/style.html", loaded=loaded, campaign=loaded.definition, draft=draft,
        step=len(steps), total=len(steps), back_url=_step_url(loaded.slug, steps[-2]) if len(steps) > 1 else
        url_for("campaign.landing", slug=loaded.slug, again=1), error=error,
    ), status


@bp.get("/<slug>/style")
def style(slug: str) -> Any:
    """Show the style choice."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (closed := _guard(loaded)) is not None:
        return closed
    if not loaded.definition.has_style_step:
        abort(404)
    draft = _draft(slug)
    missing = _first_unanswered(loaded, draft)
    if missing is not None and missing != STYLE_STEP:
        return redirect(_step_url(slug, missing))
    return _render_style(loaded, draft)


@bp.post("/<slug>/style")
@limiter.limit(_rate, methods=["POST"])
def choose_style(slug: str) -> Any:
    """Keep the chosen style and submit."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (closed := _guard(loaded)) is not None:
        return closed
    if (repeat := _already_submitted(slug)) is not None:
        return repeat
    if not loaded.definition.has_style_step:
        abort(404)
    draft = _draft(slug)
    chosen = request.form.get("style", "")
    if loaded.definition.style(chosen) is None:
        return _render_style(loaded, draft, error=_("Please choose a style."), status=422)
    draft["style"] = chosen
    _save_draft(slug, draft)
    return _advance(loaded, draft, STYLE_STEP)


def _submit(loaded: LoadedCampaign, draft: dict[str, Any]) -> Any:
    slug = loaded.slug
    try:
        participation, created = create_participation(
            get_db(), loaded,
            answers=draft["answers"], style_id=draft.get("style") or None, device_id=device_id(),
            submission_key=f"{device_id()}:{draft['key']}",
            default_provider=current_app.config["IMAGE_PROVIDER"],
            blocklist=current_app.extensions.get("posterbooth.blocklist", []),
            referral_code=draft.get("ref", ""), channel=draft.get("ch", ""),
            base_url=public_base_url(),
        )
    except AnswerError as exc:
        if exc.question_id and loaded.definition.question(exc.question_id):
            return _render_question(loaded, draft, exc.question_id, error=_answer_message(exc), status=422)
        return error_page(400, _("Something was wrong with that request"), _answer_message(exc))
    if created and loaded.definition.photo_questions:
        attach_inputs(get_db(), participation.id, draft_inputs(loaded, draft))
    if created:
        events.record("submit", slug, participation_id=participation.id, ref=draft.get("ref", ""),
                      channel=draft.get("ch", ""))
    try:
        enqueue_generation(get_queue(), participation.id)
    except redis.exceptions.RedisError:
        # The participation is recorded; the sweeper enqueues it once Redis is back.
        log.exception("could not enqueue participation %s; it stays queued", participation.id)
    drafts = session.get("drafts", {})
    drafts.pop(slug, None)
    session["drafts"] = drafts
    submitted = session.get("submitted", {})
    submitted[slug] = {"key": draft["key"], "public_id": participation.public_id}
    session["submitted"] = submitted
    return redirect(url_for("result.show", public_id=participation.public_id))
