"""Render a campaign's proof sheet: a poster and share card for every language × outcome × style, checked."""

from __future__ import annotations

import io
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from posterbooth.aigc import AigcRecord
from posterbooth.answers import visible_questions
from posterbooth.campaigns import LoadedCampaign
from posterbooth.generation import preparing
from posterbooth.generation.request import portrait_look, reference_images
from posterbooth.glam import choose_template
from posterbooth.poster import DrawnText, PosterAssets, encode_jpeg, render_poster
from posterbooth.prompt import compose_prompt, render_or, template_context
from posterbooth.proof.checks import TextCheck, check_text, decode_qr
from posterbooth.proof.reach import Reachability, analyse
from posterbooth.providers.base import GeneratedImage, GenerationRequest, Pending, Provider, ProviderError
from posterbooth.schema import KIND_ROLES, PHOTO_ANSWER, Campaign, Outcome, Question, Style
from posterbooth.urls import campaign_url

#: The short language names of the campaign locales.
LANGUAGES = {"zh-CN": "zh", "en": "en"}
#: The referral code in the proof posters' QR codes: as long as a real one, so the code is as dense.
PROOF_REF = "proofsheet23"
#: Longest a remote provider's job may take for one proof poster.
PROVIDER_DEADLINE = 600.0
SAMPLES = Path(__file__).resolve().parent / "samples"
#: The bundled sample photo given to each photo input (drawn by the project, no real person).
SAMPLE_PHOTOS = {"photo": "portrait.jpg", "model": "portrait.jpg", "sketch": "sketch.png",
                 "product": "product.jpg", "garment": "product.jpg"}
_FILLER = {
    "en": "Wonderful slow weekend with friends by the sea, under the stars and far from screens ",
    "zh": "和最好的朋友们一起在海边看日落吹晚风吃烧烤唱歌到深夜的周末时光",
}

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the campaign, named for the marketer."""

    kind: str
    where: str
    message: str
    #: The posters it was found on (none for problems of the definition, like an unreachable outcome).
    posters: tuple[str, ...] = ()

    def __str__(self) -> str:
        found = ""
        if self.posters:
            shown = ", ".join(self.posters[:3]) + (", …" if len(self.posters) > 3 else "")
            found = f" [{len(self.posters)} poster{'s' if len(self.posters) != 1 else ''}: {shown}]"
        return f"{self.kind}: {self.where}: {self.message}{found}"


def merge(problems: list[Problem]) -> list[Problem]:
    """Merge the same problem found on several posters into one, naming every poster."""
    merged: dict[tuple[str, str, str], list[str]] = {}
    for problem in problems:
        merged.setdefault((problem.kind, problem.where, problem.message), []).extend(problem.posters)
    return [Problem(kind, where, message, tuple(posters)) for (kind, where, message), posters in merged.items()]


@dataclass
class PosterProof:
    """One rendered combination and what the checks found."""

    lang: str
    outcome: str
    outcome_title: str
    style: str
    style_label: str
    reachable: bool
    answers: dict[str, Any]
    poster_file: str = ""
    card_file: str = ""
    qr_expected: str = ""
    qr_decoded: str = ""
    texts: list[TextCheck] = field(default_factory=list)
    error: str = ""
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ProofReport:
    """The whole proof sheet of a campaign."""

    slug: str
    title: str
    provider: str
    languages: list[str]
    reach: Reachability
    posters: list[PosterProof] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Tell whether nothing is broken."""
        return not self.problems


def campaign_languages(campaign: Campaign) -> list[str]:
    """Return the languages a campaign has (today each campaign is written in one)."""
    return [LANGUAGES[campaign.locale]]


def longest_text(question: Question, lang: str, text: str | None = None) -> str:
    """Return the longest text the question allows: ``text`` (cut to max_length) or a realistic filler."""
    source = text if text is not None else _FILLER[lang] * (1 + question.max_length // len(_FILLER[lang]))
    return source[: question.max_length].rstrip()


def sample_answers(campaign: Campaign, choices: dict[str, Any], lang: str, text: str | None) -> dict[str, Any]:
    """Return a whole set of answers: the choices given, the longest text, the sample photo for photos."""
    answers = dict(choices)
    for question in visible_questions(campaign, answers):
        if question.type == "text":
            answers[question.id] = longest_text(question, lang, text)
        elif question.type == "photo":
            answers[question.id] = PHOTO_ANSWER
    return answers


def sample_photo(role: str) -> bytes:
    """Return the bundled sample photo for a photo input."""
    return (SAMPLES / SAMPLE_PHOTOS[role]).read_bytes()


def _generate(provider: Provider, request: GenerationRequest) -> GeneratedImage:
    for step in preparing.steps_for(request.kind):  # AI 写真 uploads the photo first (Hunyuan: at a public URL)
        preparing.run(provider, step, request)
    result = provider.start(request)
    deadline = time.monotonic() + PROVIDER_DEADLINE
    while isinstance(result, Pending):
        if time.monotonic() > deadline:
            raise ProviderError("retryable", "proof_timeout", f"job {result.job_id} took too long")
        time.sleep(max(0.5, result.poll_after))
        result = provider.resume(result.job_id, request)
    return result


def _request(loaded: LoadedCampaign, provider: Provider, answers: dict[str, Any], outcome: Outcome,
             style: Style | None) -> GenerationRequest:
    campaign = loaded.definition
    settings = dict(getattr(campaign.generation, provider.name, {}) or {})
    if style is not None:
        settings.update(style.settings.get(provider.name, {}))
    seed = zlib.crc32(f"{campaign.slug}|{outcome.id}|{style.id if style else ''}".encode()) & 0x7FFFFFFF
    width, height, render = campaign.generation.width, campaign.generation.height, style.render if style else ""
    if campaign.generation.kind == "portrait":  # AI 写真: the definition's size, offline the StyleId's theme
        width, height, render = portrait_look(campaign, style, provider.name)
    inputs = {role: sample_photo(role) for role in KIND_ROLES[campaign.generation.kind]}
    template = choose_template(campaign, loaded.folder, outcome.id, style.id if style else None)
    if template is not None:  # AI 美照: the combination's template photo
        inputs["template"] = template.data
    return GenerationRequest(
        prompt=compose_prompt(campaign, answers, outcome, style), negative_prompt=campaign.prompt.negative,
        seed=seed, style=render, width=width, height=height, kind=campaign.generation.kind, settings=settings,
        inputs=inputs, reference=f"proof:{campaign.slug}:{outcome.id}", subject=f"proof_{seed}",
        face_box=template.face_box if template is not None else None,
        references=reference_images(loaded, {**campaign.generation.hunyuan, **(
            style.settings.get("hunyuan", {}) if style else {})}) if provider.name in ("hunyuan", "offline") else (),
    )


def _decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:  # a meme's GIF: its first frame
        return image.convert("RGB")


def render_one(loaded: LoadedCampaign, provider: Provider, item: PosterProof, outcome: Outcome,
               style: Style | None, out: Path, base_url: str) -> None:
    """Make one combination's poster and share card, save them in ``out`` and check them."""
    campaign = loaded.definition
    generated = _decode(_generate(provider, _request(loaded, provider, item.answers, outcome, style)).data)
    roles = KIND_ROLES[campaign.generation.kind]
    photo = _decode(sample_photo(roles[0])) if roles and campaign.poster.photo is not None else None
    context = template_context(campaign, item.answers, outcome, style)
    notes: list[DrawnText] = []
    item.qr_expected = campaign_url(base_url, campaign.slug, ref=PROOF_REF) if campaign.poster.qr else ""
    poster, card = render_poster(
        campaign.poster, generated, render_text=lambda source: render_or("", source, context),
        assets=PosterAssets(background_image=loaded.asset(campaign.poster.background_image),
                            logo=loaded.asset(campaign.assets.logo), brand_font=loaded.asset(campaign.assets.font)),
        qr_url=item.qr_expected or "https://example.com", photo=photo, notes=notes,
    )
    record = AigcRecord(produce_id=f"proof-{campaign.slug}", producer=f"Posterbooth/proof/{provider.name}")
    stem = f"{item.lang}-{item.outcome}-{item.style or 'default'}"
    item.poster_file, item.card_file = f"{stem}.jpg", f"{stem}-card.jpg"
    poster_jpeg = encode_jpeg(poster, record)
    (out / item.poster_file).write_bytes(poster_jpeg)
    (out / item.card_file).write_bytes(encode_jpeg(card, record))
    item.texts = [check_text(drawn, poster.width if drawn.part == "poster" else card.width) for drawn in notes]
    qr = campaign.poster.qr
    if qr is not None:  # read back from the JPEG, as a phone sees the poster
        item.qr_decoded = decode_qr(_decode(poster_jpeg), (qr.x, qr.y, qr.size))


def _problems(item: PosterProof) -> list[Problem]:
    files = (item.poster_file or f"{item.lang}-{item.outcome}-{item.style or 'default'}",)
    found: list[Problem] = []
    if item.error:
        return [Problem("generation", "image", item.error, files)]
    for text in item.texts:
        place = text.where
        flat = text.text.replace("\n", " ")
        if text.truncated:
            found.append(Problem("cut", place, f"text cut with '…' at {text.size}px: “{flat}”", files))
        if text.overflows:
            across, down = text.overflow
            found.append(Problem("overflow", place, f"text reaches {across:.0f}px past its box's width and "
                                                    f"{down:.0f}px below it: “{flat}”", files))
        if text.low_contrast:
            found.append(Problem("contrast", place, f"contrast {text.contrast:.2f}:1 is below WCAG AA "
                                                    f"{text.needed:g}:1 for {text.size}px text: “{flat}”", files))
    if item.qr_expected and not item.qr_decoded:
        found.append(Problem("qr", "poster QR code", "does not decode from the poster image", files))
    elif item.qr_expected and item.qr_decoded != item.qr_expected:
        found.append(Problem("qr", "poster QR code", f"reads {item.qr_decoded!r}, expected {item.qr_expected!r}",
                             files))
    return found


def plan(loaded: LoadedCampaign, reach: Reachability, languages: list[str], text: str | None) -> list[PosterProof]:
    """Return the combinations to render, each with the answers that lead to it."""
    campaign = loaded.definition
    styles: list[Style | None] = [*campaign.styles] or [None]
    items = []
    for lang in languages:
        for outcome in campaign.outcomes:
            choices = reach.samples.get(outcome.id, {})
            for style in styles:
                items.append(PosterProof(
                    lang=lang, outcome=outcome.id, outcome_title=outcome.title, style=style.id if style else "",
                    style_label=style.label if style else "", reachable=outcome.id in reach.samples,
                    answers=sample_answers(campaign, choices, lang, text)))
    return items


def run_proof(loaded: LoadedCampaign, out: Path, provider: Provider, *, base_url: str, text: str | None = None,
              languages: list[str] | None = None, progress: Progress | None = None) -> ProofReport:
    """Render and check every combination into ``out``; return the report (files and problems)."""
    started = time.monotonic()
    campaign = loaded.definition
    out.mkdir(parents=True, exist_ok=True)
    reach = analyse(campaign)
    report = ProofReport(slug=campaign.slug, title=campaign.title, provider=provider.name,
                         languages=languages or campaign_languages(campaign), reach=reach)
    for gone in reach.unreachable:
        report.problems.append(Problem("unreachable", f"outcome {gone.outcome}", gone.reason))
    for question in reach.never_shown:
        report.problems.append(Problem("never shown", f"question {question}", "its show_if can never hold"))
    report.posters = plan(loaded, reach, report.languages, text)
    by_outcome = {o.id: o for o in campaign.outcomes}
    for done, item in enumerate(report.posters):
        if progress is not None:
            progress(done, len(report.posters))
        try:
            render_one(loaded, provider, item, by_outcome[item.outcome], campaign.style(item.style), out, base_url)
        except ProviderError as exc:
            item.error = f"the {provider.name} provider failed: {exc.message}"
        item.problems = _problems(item)
    report.problems.extend(merge([p for item in report.posters for p in item.problems]))
    if progress is not None:
        progress(len(report.posters), len(report.posters))
    report.seconds = round(time.monotonic() - started, 1)
    return report
