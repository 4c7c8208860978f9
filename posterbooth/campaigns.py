"""Loading campaign folders: YAML with safe_load, validated at start-up."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from posterbooth import campaign_references
from posterbooth.fonts import warn_undrawable_text
from posterbooth.glam import template_problem
from posterbooth.prompt import TemplateProblem, compile_template, render, template_context
from posterbooth.providers import PROVIDER_NAMES, settings_model
from posterbooth.providers.finishing import OUTPAINT_RATIOS, nearest_ratio, ratio_value
from posterbooth.schema import Campaign, Style

log = logging.getLogger(__name__)

DEFINITION_FILE = "campaign.yaml"
MAX_DEFINITION_BYTES = 256 * 1024


class CampaignError(Exception):
    """A campaign definition is wrong: names the file, the field path, the problem and the line."""

    def __init__(self, file: Path | str, field: str, message: str, line: int | None = None) -> None:
        self.file = str(file)
        self.field = field
        self.message = message
        self.line = line
        where = f"{self.file}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {field or '(top level)'}: {message}")


@dataclass(frozen=True)
class LoadedCampaign:
    """A validated campaign and the folder its assets live in."""

    definition: Campaign
    folder: Path
    #: The content hash of the folder it was loaded from (posterbooth.campaign_registry); empty when unknown.
    version: str = ""
    #: The campaign.yaml text it was loaded from, kept with each version (posterbooth.campaign_versions).
    source: str = field(default="", repr=False, compare=False)

    @property
    def slug(self) -> str:
        """Return the campaign's slug."""
        return self.definition.slug

    def asset(self, name: str | None) -> Path | None:
        """Return the path of a named asset file, if the campaign has it."""
        return self.folder / name if name else None

    def is_open(self, now: datetime | None = None) -> bool:
        """Return True when the schedule accepts participations now."""
        now = now or datetime.now(UTC)
        sched = self.definition.schedule
        if sched.start and now < sched.start:
            return False
        return not (sched.end and now >= sched.end)

    def has_started(self, now: datetime | None = None) -> bool:
        """Return True when the campaign's start has passed (or it has none)."""
        now = now or datetime.now(UTC)
        start = self.definition.schedule.start
        return start is None or now >= start


def _path_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Return the 1-based YAML line of the deepest node found along the path."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if child is None:
                break
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _pydantic_message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "is not valid"))
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if error.get("type") == "extra_forbidden":
        message = "unknown field (check the spelling; see docs/campaigns.md)"
    return message


#: The safe loader, in C (libyaml) when PyYAML was built with it: parsing is then about ten times faster.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load_with_nodes(text: str, loader_class: type[yaml.SafeLoader] | None = None) -> tuple[Any, yaml.Node | None]:
    """Parse YAML once with the safe loader; return the data and the node tree (for line numbers)."""
    loader = (loader_class or SAFE_LOADER)(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def read_definition(path: Path) -> bytes:
    """Return the bytes of a campaign.yaml, or raise CampaignError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CampaignError(path, "", f"cannot be read: {exc.strerror}") from None


def parse_definition(path: Path, raw: bytes | None = None) -> tuple[dict[str, Any], yaml.Node | None]:
    """Read a campaign.yaml (or its given bytes) with safe_load and return its data and node tree."""
    if raw is None:
        raw = read_definition(path)
    if len(raw) > MAX_DEFINITION_BYTES:
        raise CampaignError(path, "", f"is larger than {MAX_DEFINITION_BYTES // 1024} KB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CampaignError(path, "", f"is not UTF-8 text (byte {exc.start})") from None
    try:
        data, node = safe_load_with_nodes(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise CampaignError(path, "", f"is not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise CampaignError(path, "", "must be a mapping of fields (slug, title, questions, ...)", 1)
    return data, node


def _check_provider_settings(campaign: Campaign, path: Path, node: yaml.Node | None) -> None:
    chosen = campaign.generation.provider
    if chosen is not None and chosen not in PROVIDER_NAMES:
        loc = ("generation", "provider")
        raise CampaignError(path, _path_text(loc), f"must be one of {', '.join(PROVIDER_NAMES)} (got {chosen!r})",
                            _line_of(node, loc))
    blocks: list[tuple[tuple[Any, ...], str, dict[str, Any]]] = []
    for name in PROVIDER_NAMES:
        blocks.append((("generation", name), name, getattr(campaign.generation, name)))
    for index, style in enumerate(campaign.styles):
        for name, settings in style.settings.items():
            blocks.append((("styles", index, "settings", name), name, settings))
    for loc, name, settings in blocks:
        model = settings_model(name)
        if model is None:
            raise CampaignError(path, _path_text(loc), f"unknown provider {name!r}", _line_of(node, loc))
        base = getattr(campaign.generation, name) if loc[0] == "styles" else {}
        try:
            # "in_use": the campaign names this provider or configures it; else it may never be used.
            in_use = campaign.generation.provider == name or bool(settings) or bool(base)
            model.model_validate({**base, **settings}, context={"kind": campaign.generation.kind, "in_use": in_use})
        except ValidationError as exc:
            first = exc.errors()[0]
            sub = tuple(first.get("loc", ()))
            full = loc + sub
            raise CampaignError(path, _path_text(full), _pydantic_message(first), _line_of(node, full)) from None


#: How far (relative) the poster's image box may be from the outpainting ratio it gets.
OUTPAINT_TOLERANCE = 0.12


def _check_finishing(campaign: Campaign, path: Path, node: yaml.Node | None) -> None:
    """Check ``poster.image.fit: outpaint``: the box is near an outpainting ratio other than the picture's."""
    box = campaign.poster.image
    if box.fit != "outpaint":
        return
    loc = ("poster", "image", "fit")
    target = nearest_ratio(box.width, box.height)
    off = abs(box.width / box.height / ratio_value(target) - 1)
    if off > OUTPAINT_TOLERANCE:
        raise CampaignError(
            path, _path_text(loc), f"outpaint extends the picture to one of {', '.join(OUTPAINT_RATIOS)}; the image "
            f"box is {box.width}×{box.height}, {off:.0%} away from the nearest ({target}): resize the box",
            _line_of(node, loc))
    generation = campaign.generation
    if generation.kind == "text_to_image" and nearest_ratio(generation.width, generation.height) == target:
        raise CampaignError(
            path, _path_text(loc), f"the picture is generated at {generation.width}×{generation.height}, already "
            f"the image box's ratio {target}: nothing to outpaint (use fit: cover, or generate another ratio)",
            _line_of(node, loc))


def _check_glam(campaign: Campaign, folder: Path, path: Path, node: yaml.Node | None) -> None:
    """Check an AI 美照 campaign's template photos (generation.glam): fields, files, sizes, face boxes."""
    found = template_problem(campaign, folder)
    if found is not None:
        loc, message = found
        raise CampaignError(path, _path_text(loc), message, _line_of(node, loc))


def _check_portrait(campaign: Campaign, path: Path, node: yaml.Node | None) -> None:
    """Check ``kind: portrait``: every style the attendee can pick names one of AI 写真's StyleIds."""
    generation = campaign.generation
    if generation.kind != "portrait":
        return
    blocks: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (("styles", i, "settings"), style.settings.get("hunyuan", {})) for i, style in enumerate(campaign.styles)]
    for loc, settings in blocks or [(("generation", "hunyuan"), {})]:
        if not {**generation.hunyuan, **settings}.get("style"):
            raise CampaignError(
                path, _path_text(loc), "generation kind portrait needs an AI 写真 StyleId for each style: set "
                "settings: {hunyuan: {style: <StyleId>}} (e.g. hanfu_female, dunhuang_female, newyear1_female, "
                "zhengjian_male; see docs/campaigns.md)", _line_of(node, loc))


def _check_templates(campaign: Campaign, path: Path, node: yaml.Node | None) -> None:
    sources: list[tuple[tuple[Any, ...], str]] = [
        (("prompt", "template"), campaign.prompt.template),
        (("share", "title"), campaign.share.title),
        (("share", "description"), campaign.share.description),
    ]
    for index, block in enumerate(campaign.poster.texts):
        sources.append((("poster", "texts", index, "text"), block.text))
    if campaign.poster.qr is not None and campaign.poster.qr.caption:
        sources.append((("poster", "qr", "caption"), campaign.poster.qr.caption))
    for loc, source in sources:
        try:
            compile_template(source)
        except TemplateProblem as exc:
            raise CampaignError(path, _path_text(loc), f"template error: {exc}", _line_of(node, loc)) from None
    # Dry-run every outcome and style with empty and with sample answers: catches misspelt names, and
    # run-time errors (a division by zero, a too-large range), at start-up.
    for outcome in campaign.outcomes:
        choices: list[Style | None] = [*campaign.styles] or [None]
        for style, answers in itertools.product(choices, ({}, sample_answers(campaign))):
            context = template_context(campaign, answers, outcome, style)
            for loc, source in sources:
                try:
                    render(source, context)
                except TemplateProblem as exc:
                    raise CampaignError(
                        path, _path_text(loc), f"template error: {exc}", _line_of(node, loc)
                    ) from None


def sample_answers(campaign: Campaign) -> dict[str, Any]:
    """Return answers to every question as an attendee might give them (first choices, a typed word)."""
    answers: dict[str, Any] = {}
    for question in campaign.questions:
        if question.type == "single" and question.options:
            answers[question.id] = question.options[0].value
        elif question.type == "multiple" and question.options:
            answers[question.id] = [o.value for o in question.options[: max(1, question.min)]]
        elif question.type == "text":
            answers[question.id] = "示例" if campaign.locale == "zh-CN" else "sample"
    return answers


def _check_assets(campaign: Campaign, folder: Path, path: Path, node: yaml.Node | None) -> None:
    files = [(("assets", name), name, getattr(campaign.assets, name)) for name in ("cover", "logo", "font")]
    files.append((("poster", "background_image"), "background", campaign.poster.background_image))
    for loc, name, value in files:
        if value is None:
            continue
        candidate = (folder / value).resolve()
        if folder.resolve() not in candidate.parents:
            raise CampaignError(path, _path_text(loc), "must be a file inside the campaign folder", _line_of(node, loc))
        if not candidate.is_file():
            raise CampaignError(path, _path_text(loc), f"file {value!r} not found in {folder}", _line_of(node, loc))
        if name == "font":
            from PIL import ImageFont

            try:
                ImageFont.truetype(str(candidate), 20)
            except OSError:
                raise CampaignError(
                    path, _path_text(loc), f"{value!r} is not a TrueType/OpenType font", _line_of(node, loc)
                ) from None
        else:
            from PIL import Image, UnidentifiedImageError

            try:
                with Image.open(candidate) as image:
                    image.verify()
            except (UnidentifiedImageError, OSError, SyntaxError):
                raise CampaignError(
                    path, _path_text(loc), f"{value!r} is not a readable image", _line_of(node, loc)
                ) from None


def _validated(path: Path, raw: bytes | None) -> tuple[Campaign, yaml.Node | None]:
    data, node = parse_definition(path, raw)
    try:
        return Campaign.model_validate(data), node
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first.get("loc", ()))
        raise CampaignError(path, _path_text(loc), _pydantic_message(first), _line_of(node, loc)) from None


def load_campaign(folder: Path, raw: bytes | None = None, version: str = "") -> LoadedCampaign:
    """Load and validate one campaign folder (its campaign.yaml, or the given bytes of it), or raise CampaignError."""
    path = folder / DEFINITION_FILE
    if raw is None:
        raw = read_definition(path)
    campaign, node = _validated(path, raw)
    if campaign.slug != folder.name:
        raise CampaignError(
            path, "slug", f"{campaign.slug!r} must equal the folder name {folder.name!r}", _line_of(node, ("slug",))
        )
    _check_assets(campaign, folder, path, node)
    _check_glam(campaign, folder, path, node)
    _check_provider_settings(campaign, path, node)
    _check_finishing(campaign, path, node)
    bad_reference = campaign_references.check(campaign, path.parent)
    if bad_reference is not None:
        loc, message = bad_reference
        raise CampaignError(path, _path_text(loc), message, _line_of(node, loc))
    _check_portrait(campaign, path, node)
    _check_templates(campaign, path, node)
    loaded = LoadedCampaign(definition=campaign, folder=folder, version=version,
                            source=raw.decode("utf-8"))
    warn_undrawable_text(campaign, loaded.asset(campaign.assets.font), path)
    return loaded


def restore_campaign(folder: Path, source: str, version: str) -> LoadedCampaign:
    """Rebuild an earlier version of a campaign from its stored campaign.yaml text (checked when it was live:
    only its fields are validated again), with the assets of the folder as it is now."""
    campaign, _ = _validated(folder / DEFINITION_FILE, source.encode("utf-8"))
    return LoadedCampaign(definition=campaign, folder=folder, version=version, source=source)


def campaign_folders(root: Path) -> Iterator[Path]:
    """Yield the campaign folders under root, in name order."""
    if not root.is_dir():
        raise CampaignError(root, "", "campaigns directory not found")
    for child in sorted(root.iterdir()):
        if child.is_dir() and not child.name.startswith((".", "_")):
            yield child


def load_all(root: Path) -> dict[str, LoadedCampaign]:
    """Load every campaign under root; raise CampaignError on the first mistake."""
    loaded: dict[str, LoadedCampaign] = {}
    for folder in campaign_folders(root):
        if not (folder / DEFINITION_FILE).exists():
            raise CampaignError(folder / DEFINITION_FILE, "", "missing: every campaign folder needs one")
        campaign = load_campaign(folder)
        loaded[campaign.slug] = campaign
    return loaded


def validate_all(root: Path) -> list[CampaignError]:
    """Validate every campaign under root and return all the errors found."""
    errors: list[CampaignError] = []
    try:
        folders = list(campaign_folders(root))
    except CampaignError as exc:
        return [exc]
    for folder in folders:
        try:
            if not (folder / DEFINITION_FILE).exists():
                raise CampaignError(folder / DEFINITION_FILE, "", "missing: every campaign folder needs one")
            load_campaign(folder)
        except CampaignError as exc:
            errors.append(exc)
    return errors
