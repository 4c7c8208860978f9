"""The campaign definition schema: what a marketer may write in campaign.yaml."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from posterbooth.layout import ENGLISH_AI_LABEL, PosterLayout
from posterbooth.schema_glam import GlamSpec
from posterbooth.schema_limits import DEFAULT_TIMEZONE, Budget, Limits, check_timezone

SLUG_RE = r"^[a-z0-9][a-z0-9-]{1,62}$"
ID_RE = r"^[a-z][a-z0-9_]{0,39}$"
COLOR_RE = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"

Identifier = Annotated[str, Field(pattern=ID_RE)]

#: What the image provider makes; every kind but text_to_image starts from the attendee's photo(s).
GENERATION_KINDS = (
    "text_to_image", "image_to_image", "avatar", "meme", "sketch_to_image", "product_background", "try_on",
    "glam",
    "portrait",
)
GenerationKind = Literal[
    "text_to_image", "image_to_image", "avatar", "meme", "sketch_to_image", "product_background", "try_on",
    "glam", "portrait",
]
#: The named photo inputs each kind needs, one photo question each (the same names as the providers use).
KIND_ROLES: dict[str, tuple[str, ...]] = {
    "text_to_image": (),
    "image_to_image": ("photo",),
    "avatar": ("photo",),
    "meme": ("photo",),
    "sketch_to_image": ("sketch",),
    "product_background": ("product",),
    "try_on": ("model", "garment"),
    "glam": ("photo",),  # AI 美照: the attendee's face on the campaign's template photo (generation.glam)
    "portrait": ("photo",),
}
#: Kinds whose picture shows what the attendee's photo shows (a restyled photo, an avatar, a sticker, a try-on):
#: the picture, poster, share card and thumbnail are deleted with the photo.
LIKENESS_KINDS = frozenset({"image_to_image", "avatar", "meme", "try_on", "glam", "portrait"})
PhotoRole = Literal["photo", "sketch", "product", "model", "garment"]
#: The answer stored for a photo question; the photo itself is kept apart (see posterbooth.photos).
PHOTO_ANSWER = "photo"


#: The Hunyuan action whose conversations "change it" edits continue (posterbooth.providers.hunyuan_actions).
CHAT_ACTION = "SubmitHunyuanImageChatJob"


class Model(BaseModel):
    """Base for definition models: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(Model):
    """When the campaign accepts participations."""

    start: datetime | None = Field(None, description="When the campaign opens (ISO 8601, with a zone).")
    end: datetime | None = Field(None, description="When the campaign closes (ISO 8601, with a zone).")

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """Read a time without a zone as UTC, so every schedule time is timezone-aware."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Assets(Model):
    """Files in the campaign folder."""

    cover: str | None = Field(None, description="Cover image shown on the landing page and the home page.")
    logo: str | None = Field(None, description="Logo drawn on the poster and the landing page.")
    font: str | None = Field(
        None, description="Brand font file (TTF/OTF): first in the font chain of text blocks with font: brand."
    )


class Theme(Model):
    """Page colours."""

    primary: str = Field("#2F6F5E", pattern=COLOR_RE, description="Buttons, progress and links.")
    background: str = Field("#F7F3EC", pattern=COLOR_RE, description="Page background colour.")
    text: str = Field("#1E2433", pattern=COLOR_RE, description="Body text colour.")


class Condition(Model):
    """Show a question only when an earlier answer matches."""

    question: Identifier = Field(description="Id of an earlier question.")
    any_of: list[str] = Field(min_length=1, description="Option values; the condition holds when any was chosen.")


class Option(Model):
    """One choice of a single- or multiple-choice question."""

    value: Identifier = Field(description="Stable id of the option, stored with the answers.")
    label: str = Field(min_length=1, max_length=80, description="Text shown to the attendee.")
    prompt: str = Field("", max_length=300, description="Prompt fragment this option contributes.")
    scores: dict[Identifier, float] = Field(
        default_factory=dict, description="Points this option gives each outcome (outcome id → points)."
    )


class Question(Model):
    """One question screen."""

    id: Identifier = Field(description="Stable id of the question, used in templates and conditions.")
    type: Literal["single", "multiple", "text", "photo"] = Field(
        description="single, multiple, text, or photo (an upload from the camera or the album)."
    )
    title: str = Field(min_length=1, max_length=120, description="The question as shown.")
    help: str = Field("", max_length=200, description="A short hint under the question.")
    options: list[Option] = Field(default_factory=list, description="Choices (single and multiple).")
    min: int = Field(1, ge=0, description="Fewest choices for a multiple-choice question.")
    max: int | None = Field(None, ge=1, description="Most choices for a multiple-choice question.")
    required: bool = Field(True, description="Whether a text answer must be given.")
    max_length: int = Field(40, ge=1, le=200, description="Longest text answer, in characters.")
    placeholder: str = Field("", max_length=80, description="Placeholder of the text field.")
    show_if: Condition | None = Field(None, description="Show the question only when this matches.")
    consent: str = Field(
        "", max_length=300,
        description="Photo questions (required there): the consent line the attendee ticks before the photo "
        "is processed, e.g. what it is used for and how long it is kept.",
    )
    role: PhotoRole | None = Field(
        None,
        description="Photo questions: which input of generation.kind this photo is (photo, sketch, product, "
        "model, garment); default: the kind's only input.",
    )
    max_mb: int = Field(10, ge=1, le=20, description="Photo questions: largest upload accepted, in megabytes.")
    camera: Literal["user", "environment"] = Field(
        "user", description="Photo questions: the camera the 'take a photo' button opens (user = front, "
        "environment = back).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.type == "photo":
            if not self.consent.strip():
                raise ValueError("a photo question needs a consent line (consent: ...) shown with the upload")
            if self.options:
                raise ValueError("a photo question has no options")
            if not self.required:
                raise ValueError("a photo question is always required (remove required: false)")
            if self.show_if is not None:
                raise ValueError("a photo question cannot have show_if: the generation always needs the photo")
            return self
        if self.consent or self.role is not None:
            raise ValueError("consent and role are only for photo questions")
        if self.type in {"single", "multiple"}:
            if len(self.options) < 2:
                raise ValueError(f"a {self.type}-choice question needs at least 2 options")
            values = [o.value for o in self.options]
            if len(set(values)) != len(values):
                raise ValueError("option values must be unique within a question")
        elif self.options:
            raise ValueError("a text question has no options")
        if self.type == "multiple":
            top = self.max if self.max is not None else len(self.options)
            if not self.min <= top <= len(self.options):
                raise ValueError("need min <= max <= number of options")
        return self

    @property
    def max_choices(self) -> int:
        """Return the most choices allowed."""
        return self.max if self.max is not None else len(self.options)

    def option(self, value: str) -> Option | None:
        """Return the option with this value, if any."""
        return next((o for o in self.options if o.value == value), None)


class Rule(Model):
    """A condition on one answer, for rule-based outcomes."""

    question: Identifier = Field(description="Id of the question the rule looks at.")
    any_of: list[str] = Field(min_length=1, description="Option values; the rule holds when any was chosen.")


class Outcome(Model):
    """One result the answers can lead to."""

    id: Identifier = Field(description="Stable id of the outcome.")
    title: str = Field(min_length=1, max_length=60, description="Name of the outcome (e.g. 杭州西湖).")
    description: str = Field("", max_length=300, description="A line or two about the outcome.")
    prompt: str = Field("", max_length=500, description="Prompt fragment for this outcome.")
    when: list[Rule] = Field(
        default_factory=list, description="Rules (all must hold) when outcome_by is rules; empty = fallback."
    )


class Style(Model):
    """A picture style the attendee may choose."""

    id: Identifier = Field(description="Stable id of the style.")
    label: str = Field(min_length=1, max_length=30, description="Name shown to the attendee.")
    prompt: str = Field("", max_length=200, description="Prompt fragment for this style.")
    render: str = Field("", max_length=30, description="Hint for the offline renderer (watercolor, anime, ink, 3d).")
    swatch: str = Field("#888888", pattern=COLOR_RE, description="Colour of the style's chip on the page.")
    settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-provider setting overrides for this style (provider name → settings).",
    )


class PromptSpec(Model):
    """How answers become an image prompt."""

    template: str = Field(min_length=1, max_length=4000, description="Jinja2 template of the image prompt.")
    negative: str = Field("", max_length=500, description="Negative prompt: what the image must not show.")
    max_length: int = Field(900, ge=50, le=4000, description="Longest composed prompt, in characters.")
    blocklist: list[str] = Field(
        default_factory=list, description="Words that typed answers may not contain (added to BLOCKLIST_FILE)."
    )


class Generation(Model):
    """Image generation settings."""

    provider: str | None = Field(None, description="Provider for this campaign (offline, hunyuan or openai); "
                                 "IMAGE_PROVIDER when unset.")
    kind: GenerationKind = Field(
        "text_to_image",
        description="What is generated: text_to_image (from the prompt), or from the attendee's photo "
        "questions: image_to_image, avatar, meme (an animated GIF), sketch_to_image, product_background, "
        "try_on (a model photo and a garment photo), glam (the face on a template photo, AI 美照), portrait "
        "(AI 写真: a styled portrait of the attendee).",
    )
    width: int = Field(1024, ge=256, le=2048, description="Width of the generated image, in pixels.")
    height: int = Field(1024, ge=256, le=2048, description="Height of the generated image, in pixels.")
    refine: bool = Field(False, description="Sharpen the generated picture to a 2048 px long side before the "
                         "poster is composed (Hunyuan RefineImage; offline: an upscale filter).")
    glam: GlamSpec | None = Field(None, description="kind glam (AI 美照): the template photos, per outcome or style, "
                                  "with their face boxes.")
    offline: dict[str, Any] = Field(default_factory=dict, description="Settings for the offline renderer.")
    hunyuan: dict[str, Any] = Field(default_factory=dict, description="Settings for Tencent Hunyuan.")
    openai: dict[str, Any] = Field(default_factory=dict, description="Settings for OpenAI-compatible APIs.")


class Privacy(Model):
    """How long personal files are kept."""

    photo_retention_days: int = Field(
        7, ge=0, le=365,
        description="Days uploaded photos are kept before the retention job deletes them (0: as soon as "
        "the poster is made). Attendees can delete theirs at once from the result page.",
    )
    poster_retention_days: int | None = Field(
        None, ge=1, le=3650, description="Days posters are kept before they are deleted; empty: kept."
    )
    answers_retention_days: int | None = Field(
        None, ge=1, le=3650,
        description="Days the answers and the composed prompt are kept before the retention job empties them "
        "(the poster stays, within poster_retention_days); empty: kept for the campaign's statistics.",
    )


class ShareCard(Model):
    """Texts of link previews and share cards (Jinja2, with answers and outcome)."""

    title: str = Field(min_length=1, max_length=120, description="Title of the share card.")
    description: str = Field("", max_length=200, description="Description of the share card.")
    cta: str = Field("", max_length=30, description="Label of the 'try it yourself' button.")


class Wall(Model):
    """The event wall: a venue screen of fresh posters (/wall/<slug>)."""

    moderation: Literal["auto", "approve"] = Field(
        "auto", description="auto: every finished poster goes on the wall; approve: only those an admin "
        "approves on the console's wall queue.")


class Campaign(Model):
    """A whole campaign definition."""

    slug: str = Field(pattern=SLUG_RE, description="URL name; must equal the folder name.")
    title: str = Field(min_length=1, max_length=60, description="Campaign title.")
    intro: str = Field("", max_length=600, description="Introduction on the landing page.")
    locale: Literal["zh-CN", "en"] = Field("zh-CN", description="Language of the engine's words on the pages.")
    schedule: Schedule = Field(default_factory=Schedule, description="When participations are accepted.")
    assets: Assets = Field(default_factory=Assets, description="Files in the campaign folder.")
    theme: Theme = Field(default_factory=Theme, description="Page colours.")
    start_label: str = Field("", max_length=20, description="Label of the start button (engine default when empty).")
    questions: list[Question] = Field(min_length=1, description="The questions, in order.")
    outcome_by: Literal["scores", "rules"] = Field("scores", description="How answers choose the outcome.")
    outcomes: list[Outcome] = Field(min_length=1, description="The possible outcomes.")
    styles: list[Style] = Field(default_factory=list, description="Styles to choose from (none: no style screen).")
    prompt: PromptSpec = Field(description="How answers become the image prompt.")
    generation: Generation = Field(default_factory=Generation, description="Image generation settings.")
    privacy: Privacy = Field(default_factory=Privacy, description="How long photos and posters are kept.")
    poster: PosterLayout = Field(default_factory=PosterLayout, description="Poster layout.")
    share: ShareCard = Field(description="Share card texts.")
    limits: Limits = Field(default_factory=Limits, description="How many posters: total, per day, per attendee.")
    budget: Budget = Field(default_factory=Budget, description="Most the provider jobs may cost (per_day, total).")
    identity: Literal["device", "wechat"] = Field(
        "device", description="Who per-attendee limits count: device, or wechat (the WeChat user, inside WeChat).")
    wall: Wall = Field(default_factory=Wall, description="The event wall (venue screen) and its moderation.")
    timezone: str = Field(DEFAULT_TIMEZONE, description="IANA time zone of the campaign's calendar days (daily "
                          "limits and budgets), e.g. Asia/Shanghai or UTC.")
    edits: int = Field(0, ge=0, le=99, description="\"Change it\" edits each attendee may ask for on the result "
                       "page (0: off); needs the first image from SubmitHunyuanImageChatJob (see Change it edits).")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("questions")
    @classmethod
    def _unique_questions(cls, questions: list[Question]) -> list[Question]:
        ids = [q.id for q in questions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"question ids must be unique (repeated: {', '.join(dupes)})")
        for index, question in enumerate(questions):
            cond = question.show_if
            if cond is None:
                continue
            earlier = {q.id: q for q in questions[:index]}
            if cond.question not in earlier:
                raise ValueError(f"question {question.id!r}: show_if names {cond.question!r}, not an earlier question")
            unknown = [v for v in cond.any_of if earlier[cond.question].option(v) is None]
            if unknown:
                raise ValueError(f"question {question.id!r}: show_if has unknown options {unknown}")
        return questions

    @model_validator(mode="after")
    def _label_in_campaign_language(self) -> Campaign:
        """Give English campaigns a bilingual AI label unless the definition sets one."""
        label = self.poster.label
        if self.locale == "en" and "text" not in label.model_fields_set:
            label.text = ENGLISH_AI_LABEL
        return self

    @model_validator(mode="after")
    def _references(self) -> Campaign:
        outcome_ids = [o.id for o in self.outcomes]
        if len(set(outcome_ids)) != len(outcome_ids):
            raise ValueError("outcome ids must be unique")
        style_ids = [s.id for s in self.styles]
        if len(set(style_ids)) != len(style_ids):
            raise ValueError("style ids must be unique")
        by_id = {q.id: q for q in self.questions}
        for question in self.questions:
            for option in question.options:
                unknown = sorted(set(option.scores) - set(outcome_ids))
                if unknown:
                    raise ValueError(
                        f"question {question.id!r} option {option.value!r} scores unknown outcomes {unknown}"
                    )
        for outcome in self.outcomes:
            for rule in outcome.when:
                target = by_id.get(rule.question)
                if target is None:
                    raise ValueError(f"outcome {outcome.id!r}: rule names unknown question {rule.question!r}")
                bad = [v for v in rule.any_of if target.option(v) is None]
                if bad:
                    raise ValueError(f"outcome {outcome.id!r}: rule has unknown options {bad}")
        if self.outcome_by == "rules" and all(o.when for o in self.outcomes):
            raise ValueError("with outcome_by: rules, one outcome needs an empty 'when' as the fallback")
        self._check_photo_inputs()
        self._check_edits()
        return self

    def _check_edits(self) -> None:
        """Edits continue a SubmitHunyuanImageChatJob conversation: text only, no finishing steps."""
        if not self.edits:
            return
        generation = self.generation
        action = generation.hunyuan.get("action")
        problem = ("generation.kind must be text_to_image" if generation.kind != "text_to_image" else
                   "generation.provider must be hunyuan or offline" if generation.provider == "openai" else
                   "generation.hunyuan.action must be SubmitHunyuanImageChatJob" if action != CHAT_ACTION else
                   "poster.image.fit outpaint and generation.refine are not offered with edits"
                   if self.poster.image.fit == "outpaint" or generation.refine else "")
        if problem:
            raise ValueError(f"edits: {problem} (edits continue the first picture's Hunyuan conversation)")

    def _check_photo_inputs(self) -> None:
        kind = self.generation.kind
        roles = KIND_ROLES[kind]
        photos = [q for q in self.questions if q.type == "photo"]
        if photos and self.privacy.photo_retention_days == 0 and (
                self.poster.photo is not None or kind in LIKENESS_KINDS):
            raise ValueError("privacy.photo_retention_days 0 would delete the poster as soon as it is made: it "
                             "shows the attendee's photo and is deleted with it; keep photos for at least 1 day")
        if not roles and self.poster.photo is not None:
            raise ValueError(f"poster.photo shows the attendee's photo, but generation.kind {kind} takes none")
        if not roles:
            if photos:
                raise ValueError(
                    f"question {photos[0].id!r} asks for a photo, but generation.kind is {kind}: choose a kind "
                    "that uses it (image_to_image, avatar, meme, sketch_to_image, product_background, try_on, glam, "
                    "portrait)"
                )
            return
        if kind == "try_on" and self.generation.provider == "offline":
            raise ValueError("generation kind try_on needs a real image provider (hunyuan's ChangeClothes); "
                             "the offline renderer cannot dress a model in a garment")
        given: dict[str, str] = {}
        for question in photos:
            role = question.role or (roles[0] if len(roles) == 1 else None)
            if role is None:
                raise ValueError(
                    f"question {question.id!r}: generation kind {kind} takes photos {', '.join(roles)}; "
                    "set role to say which one this is"
                )
            if role not in roles:
                raise ValueError(
                    f"question {question.id!r}: role {role!r} is not an input of {kind} (it takes: {', '.join(roles)})"
                )
            if role in given:
                raise ValueError(f"questions {given[role]!r} and {question.id!r} both give the {role!r} photo")
            given[role] = question.id
        missing = [r for r in roles if r not in given]
        if missing:
            raise ValueError(
                f"generation kind {kind} needs a photo question for each of its inputs; "
                f"missing: {', '.join(missing)}"
            )

    def photo_role(self, question: Question) -> str | None:
        """Return the input name a photo question provides (None for other questions)."""
        if question.type != "photo":
            return None
        roles = KIND_ROLES[self.generation.kind]
        return question.role or (roles[0] if roles else "photo")

    @property
    def shows_photo(self) -> bool:
        """Return True when the poster shows the attendee's photo (poster.photo, or a likeness kind).

        Its images are then derived from the photo and are deleted with it.
        """
        return bool(self.photo_questions) and (
            self.poster.photo is not None or self.generation.kind in LIKENESS_KINDS)

    @property
    def photo_questions(self) -> list[Question]:
        """Return the photo questions, in order."""
        return [q for q in self.questions if q.type == "photo"]

    def question(self, question_id: str) -> Question | None:
        """Return the question with this id, if any."""
        return next((q for q in self.questions if q.id == question_id), None)

    def outcome(self, outcome_id: str) -> Outcome | None:
        """Return the outcome with this id, if any."""
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    def style(self, style_id: str | None) -> Style | None:
        """Return the style with this id, if any."""
        return next((s for s in self.styles if s.id == style_id), None)

    @property
    def has_style_step(self) -> bool:
        """Return True when the attendee picks a style."""
        return len(self.styles) > 1


def plain_text(value: str) -> str:
    """Collapse whitespace in a definition text for one-line uses."""
    return re.sub(r"\s+", " ", value).strip()
