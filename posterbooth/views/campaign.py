"""The attendee's path through a campaign: landing, one question per screen, style, submit."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from posterbooth import events, formats
from posterbooth.answers import AnswerError, check_answer
from posterbooth.campaigns import LoadedCampaign
from posterbooth.caps import CapReached, CapsUnavailable
from posterbooth.devices import device_id, is_new_device, returning_device
from posterbooth.draft import STYLE_STEP, Draft, next_step, steps
from posterbooth.errors import error_page
from posterbooth.extensions import get_db, get_queue
from posterbooth.glam import template_names
from posterbooth.i18n import ANSWER_MESSAGES, use_locale
from posterbooth.participations import active_result_for_device
from posterbooth.security import answer_limits
from posterbooth.submit import Submission, submit
from posterbooth.views import campaign_or_404
from posterbooth.views.drafts import finish_draft, get_draft, save_draft, submitted_public_id
from posterbooth.views.images import qr_response
from posterbooth.views.limits import attendee, budgets, busy_page, explain, refusal_now, refused_page
from posterbooth.views.page_cache import landing_page
from posterbooth.views.pages import closed_page, missing_step, render_question, render_style, step_url
from posterbooth.views.paused import campaign_paused, paused_page
from posterbooth.views.photo_answers import draft_inputs, store_photo
from posterbooth.views.wechat_oauth import oauth_redirect

log = logging.getLogger(__name__)

bp = Blueprint("campaign", __name__, url_prefix="/c")


def _blocklist() -> list[str]:
    return current_app.extensions.get("posterbooth.blocklist", [])


# --- landing, assets and entry QR codes --------------------------------------------------------

@bp.get("/<slug>")
def landing(slug: str) -> Any:
    """Show the campaign's landing page, or bring a returning attendee back to their poster."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (oauth := oauth_redirect(loaded)) is not None:
        return oauth  # identity: wechat, inside WeChat: the silent OAuth first (query kept: it comes back here)
    ref = formats.referral_code(request.args.get("ref", ""))
    channel = formats.channel(request.args.get("ch", ""))
    if ref or channel:
        draft = get_draft(slug)
        draft["ref"] = ref or draft.get("ref", "")
        draft["ch"] = channel or draft.get("ch", "")
        save_draft(slug, draft)
    events.record("landing_view", slug, ref=ref, channel=channel)
    if ref:
        events.record("referred_visit", slug, ref=ref, channel=channel)
    if not request.args.get("again") and returning_device():
        # One indexed query, and none for a device seen for the first time: it cannot have a poster yet.
        public_id = active_result_for_device(get_db(), slug, device_id())
        if public_id is not None:
            return redirect(url_for("result.show", public_id=public_id))
    refused = refusal_now(loaded) if loaded.is_open() else None
    return landing_page(loaded, lambda: step_url(slug, steps(loaded, {})[0]), paused=campaign_paused(slug),
                        unavailable=explain(loaded, refused) if refused is not None else None)


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


@bp.get("/<slug>/glam/<path:name>")
def glam_template(slug: str, name: str) -> Response:
    """Serve an AI 美照 template photo (a campaign asset: Tencent downloads it from here)."""
    loaded = campaign_or_404(slug)
    if name not in template_names(loaded.definition):
        abort(404)
    path = loaded.asset(name)
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, max_age=3600, conditional=True)


@bp.get("/<slug>/qr.png")
def qr_code_png(slug: str) -> Response:
    """Return the campaign's print-ready entry QR code as PNG."""
    return qr_response(slug, "png")


@bp.get("/<slug>/qr.svg")
def qr_code_svg(slug: str) -> Response:
    """Return the campaign's entry QR code as SVG, for print."""
    return qr_response(slug, "svg")


# --- questions ----------------------------------------------------------------------------------

def _guard(loaded: LoadedCampaign) -> Any:
    """Return the page of a campaign that takes no answers now (closed, or paused by an operator), if so."""
    if not loaded.is_open():
        return closed_page(loaded)
    if campaign_paused(loaded.slug):
        return paused_page(loaded)
    return None


@bp.get("/<slug>/q/<question_id>")
def question(slug: str, question_id: str) -> Any:
    """Show one question."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (stopped := _guard(loaded)) is not None:
        return stopped
    if loaded.definition.question(question_id) is None:
        abort(404)
    draft = get_draft(slug)
    names = steps(loaded, draft["answers"])
    missing = missing_step(loaded, draft)
    if question_id not in names:
        return redirect(step_url(slug, missing or names[0]))
    if missing is not None and names.index(missing) < names.index(question_id):
        return redirect(step_url(slug, missing))
    if names.index(question_id) == 0:
        events.record("start", slug, ref=draft.get("ref", ""), channel=draft.get("ch", ""))
    return render_question(loaded, draft, question_id)


def _already_submitted(slug: str) -> Any:
    """Send a repeated tap on a submitted draft to its result instead of making a second poster."""
    public_id = submitted_public_id(slug, request.form.get("draft", ""))
    return redirect(url_for("result.show", public_id=public_id)) if public_id else None


def _answer_message(error: AnswerError) -> str:
    return ANSWER_MESSAGES.get(error.code, ANSWER_MESSAGES["missing"]) % error.params


@bp.post("/<slug>/q/<question_id>")
@answer_limits
def answer(slug: str, question_id: str) -> Any:
    """Check and keep one answer, then go to the next step or submit."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (stopped := _guard(loaded)) is not None:
        return stopped
    if (repeat := _already_submitted(slug)) is not None:
        return repeat
    question = loaded.definition.question(question_id)
    if question is None:
        return error_page(404, _("Question not found"), _("This question is not part of the campaign."),
                          back_url=url_for("campaign.landing", slug=slug, again=1))
    draft = get_draft(slug)
    names = steps(loaded, draft["answers"])
    if question_id not in names:
        return redirect(step_url(slug, missing_step(loaded, draft) or names[0]))
    if question.type == "photo":
        problem = store_photo(loaded, draft, question)
        if problem is not None:
            return render_question(loaded, draft, question_id, error=problem, status=422)
    else:
        try:
            draft["answers"][question_id] = check_answer(loaded.definition, question,
                                                         request.form.getlist("answer"), _blocklist())
        except AnswerError as exc:
            # Keep what the attendee typed in the field, so that fixing it is one small edit.
            typed = request.form.get("answer", "")[: question.max_length] if question.type == "text" else None
            return render_question(loaded, draft, question_id, error=_answer_message(exc), status=422, typed=typed)
    save_draft(slug, draft)
    events.record("answer", slug, ref=draft.get("ref", ""), channel=draft.get("ch", ""), step=question_id)
    return _advance(loaded, draft, question_id)


def _advance(loaded: LoadedCampaign, draft: Draft, current: str) -> Any:
    missing = missing_step(loaded, draft)
    if missing is None:
        return _submit(loaded, draft)
    return redirect(step_url(loaded.slug, next_step(loaded, draft, current, missing)))


# --- style and submit ---------------------------------------------------------------------------

@bp.get("/<slug>/style")
def style(slug: str) -> Any:
    """Show the style choice."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (stopped := _guard(loaded)) is not None:
        return stopped
    if not loaded.definition.has_style_step:
        abort(404)
    draft = get_draft(slug)
    missing = missing_step(loaded, draft)
    if missing is not None and missing != STYLE_STEP:
        return redirect(step_url(slug, missing))
    return render_style(loaded, draft)


@bp.post("/<slug>/style")
@answer_limits
def choose_style(slug: str) -> Any:
    """Keep the chosen style and submit."""
    loaded = campaign_or_404(slug)
    use_locale(loaded.definition.locale)
    if (stopped := _guard(loaded)) is not None:
        return stopped
    if (repeat := _already_submitted(slug)) is not None:
        return repeat
    if not loaded.definition.has_style_step:
        abort(404)
    draft = get_draft(slug)
    chosen = request.form.get("style", "")
    if loaded.definition.style(chosen) is None:
        return render_style(loaded, draft, error=_("Please choose a style."), status=422)
    draft["style"] = chosen
    save_draft(slug, draft)
    return _advance(loaded, draft, STYLE_STEP)


def _submit(loaded: LoadedCampaign, draft: Draft) -> Any:
    slug = loaded.slug
    last = step_url(slug, steps(loaded, draft["answers"])[-1])
    if is_new_device():
        # No session and no device cookie: a client that keeps no cookies. It may answer, not submit.
        return redirect(last)
    submission = Submission(
        answers=draft["answers"], style_id=draft.get("style") or None, device_id=device_id(),
        submission_key=draft["key"], referral_code=draft.get("ref", ""), attendee=attendee(loaded),
        channel=draft.get("ch", ""), inputs=draft_inputs(loaded, draft),
    )
    try:
        participation, created = submit(get_db(), get_queue(), loaded, submission, budgets=budgets(),
                                        default_provider=current_app.config["IMAGE_PROVIDER"], blocklist=_blocklist())
    except CapReached as refused:
        return refused_page(loaded, refused, last)
    except CapsUnavailable:
        return busy_page(loaded, last)
    except AnswerError as exc:
        if exc.question_id and loaded.definition.question(exc.question_id):
            return render_question(loaded, draft, exc.question_id, error=_answer_message(exc), status=422)
        return error_page(400, _("Something was wrong with that request"), _answer_message(exc))
    if created:
        events.record("submit", slug, participation_id=participation.id, ref=draft.get("ref", ""),
                      channel=draft.get("ch", ""))
    finish_draft(slug, draft["key"], participation.public_id)
    return redirect(url_for("result.show", public_id=participation.public_id))
