"""Campaign definitions: the demos load, broken ones stop start-up with one precise message."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from posterbooth.campaigns import CampaignError, load_all, load_campaign
from posterbooth.schema import Campaign
from tests.conftest import CAMPAIGNS, ROOT

MINIMAL = """\
slug: mini
title: Mini
locale: en
questions:
  - id: color
    type: single
    title: Pick a colour
    options:
      - {value: red, label: Red, prompt: red things, scores: {warm: 1}}
      - {value: blue, label: Blue, prompt: blue things, scores: {cool: 1}}
  - id: name
    type: text
    title: Your name?
    required: false
outcomes:
  - {id: warm, title: Warm}
  - {id: cool, title: Cool}
prompt:
  template: "{{ outcome.title }} {{ answers.color.prompt }}"
share:
  title: "I am {{ outcome.title }}"
"""


def write(tmp_path: Path, text: str, slug: str = "mini") -> Path:
    folder = tmp_path / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    return folder


def test_demo_campaigns_load():
    loaded = load_all(CAMPAIGNS)
    assert {"spring-outing", "dream-weekend", "concert-restyle", "anime-self"} <= set(loaded)
    spring = loaded["spring-outing"].definition
    assert spring.locale == "zh-CN" and len(spring.questions) == 3 and len(spring.outcomes) >= 3
    weekend = loaded["dream-weekend"].definition
    assert weekend.locale == "en" and weekend.has_style_step
    assert any(q.type == "text" for q in weekend.questions)


def test_minimal_definition_loads(tmp_path):
    assert load_campaign(write(tmp_path, MINIMAL)).definition.title == "Mini"


BROKEN = [
    ("not yaml", MINIMAL.replace("title: Mini", "title: [Mini"), "", "not valid YAML", None),
    ("not a mapping", "- just\n- a list\n", "", "must be a mapping", 1),
    ("missing title", MINIMAL.replace("title: Mini\n", ""), "title", "Field required", None),
    ("unknown field", MINIMAL.replace("locale: en", "locale: en\ncolour: red"), "colour", "unknown field", 4),
    ("bad locale", MINIMAL.replace("locale: en", "locale: fr"), "locale", "'zh-CN' or 'en'", 3),
    ("slug mismatch", MINIMAL.replace("slug: mini", "slug: other"), "slug", "must equal the folder name", 1),
    ("bad question type", MINIMAL.replace("type: single", "type: slider"), "questions[0].type", "", 6),
    ("one option", MINIMAL.replace("      - {value: blue, label: Blue, prompt: blue things, scores: {cool: 1}}\n", ""),
     "questions[0]", "at least 2 options", 5),
    ("photo without consent", MINIMAL.replace("type: text", "type: photo"), "questions[1]", "consent line", 11),
    ("photo for text_to_image", MINIMAL.replace("type: text", "type: photo\n    consent: OK").replace(
        "    required: false\n", ""), "", "choose a kind that uses it", None),
    ("try_on needs two photos", MINIMAL.replace("type: text", "type: photo\n    consent: OK").replace(
        "    required: false\n", "") + "generation: {kind: try_on}\n", "", "set role", None),
    ("unknown kind", MINIMAL + "generation: {kind: painting}\n", "generation.kind", "", 22),
    ("score of unknown outcome", MINIMAL.replace("scores: {cool: 1}", "scores: {hot: 1}"), "",
     "scores unknown outcomes", None),
    ("template syntax", MINIMAL.replace('"{{ outcome.title }} {{ answers.color.prompt }}"', '"{{ outcome.title "'),
     "prompt.template", "template error", 19),
    ("template unknown name", MINIMAL.replace("answers.color.prompt", "answers.colour.prompt"),
     "prompt.template", "template error", 19),
    ("template sandbox", MINIMAL.replace("answers.color.prompt", "outcome.__class__.__mro__"),
     "prompt.template", "template error", 19),
    ("template division by zero", MINIMAL.replace("answers.color.prompt", "1 / 0"),
     "prompt.template", "ZeroDivisionError", 19),
    ("template division by a sample answer", MINIMAL.replace(
        "answers.color.prompt", "10 / (answers.name.text | length)"), "prompt.template", "ZeroDivisionError", 19),
    ("template huge range", MINIMAL.replace("answers.color.prompt", "range(10 ** 9) | list"),
     "prompt.template", "template error", 19),
    ("template huge output", MINIMAL.replace("answers.color.prompt", "'x' * 99999"),
     "prompt.template", "characters", 19),
    ("show_if later question", MINIMAL.replace("    required: false",
                                               "    required: false\n    show_if: {question: later, any_of: [x]}"),
     "questions", "not an earlier question", 5),
    ("missing asset", MINIMAL.replace("locale: en", "locale: en\nassets: {cover: cover.jpg}"), "assets.cover",
     "not found", 4),
    ("poster box outside", MINIMAL + "poster: {width: 800, height: 800, image: {x: 0, y: 0, width: 900, height: 10}}\n",
     "poster", "reaches past", 22),
    ("bad hunyuan style", MINIMAL + "generation: {hunyuan: {style: cubism}}\n", "generation.hunyuan", "", 22),
    ("bad colour", MINIMAL.replace("locale: en", "locale: en\ntheme: {primary: red}"), "theme.primary", "", 4),
    ("schedule reversed", MINIMAL.replace(
        "locale: en", "locale: en\nschedule: {start: 2026-05-01T00:00:00Z, end: 2026-04-01T00:00:00Z}"),
     "schedule", "end must be after start", 4),
]


@pytest.mark.parametrize(("name", "text", "field", "message", "line"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_definitions_name_file_field_and_line(tmp_path, name, text, field, message, line):
    folder = write(tmp_path, text)
    with pytest.raises(CampaignError) as caught:
        load_campaign(folder)
    error = caught.value
    assert error.file == str(folder / "campaign.yaml")
    assert error.field.startswith(field), (error.field, str(error))
    assert message in error.message, str(error)
    if line is not None:
        assert error.line == line, str(error)
    assert str(folder / "campaign.yaml") in str(error)


def test_yaml_is_loaded_safely(tmp_path):
    folder = write(tmp_path, MINIMAL.replace("title: Mini", "title: !!python/object/apply:os.system ['echo hi']"))
    with pytest.raises(CampaignError, match="not valid YAML"):
        load_campaign(folder)


def _cli(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, CAMPAIGNS_DIR=str(env_dir), INSTANCE_DIR=str(env_dir.parent / "instance"))
    env.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "campaigns", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_cli_validate_reports_errors_and_exit_status(tmp_path):
    good = tmp_path / "good"
    shutil.copytree(CAMPAIGNS, good)
    ok = _cli("validate", env_dir=good)
    assert ok.returncode == 0, ok.stderr
    demos = sum(1 for d in CAMPAIGNS.iterdir() if (d / "campaign.yaml").exists())
    assert f"{demos} campaigns OK" in ok.stdout
    bad = tmp_path / "bad"
    write(bad, MINIMAL.replace("locale: en", "locale: fr"))
    failed = _cli("validate", env_dir=bad)
    assert failed.returncode == 1
    assert "campaign.yaml, line 3: locale:" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_app_refuses_to_start_with_a_broken_campaign(tmp_path):
    import os

    bad = tmp_path / "bad"
    write(bad, MINIMAL.replace("locale: en", "locale: fr"))
    env = dict(os.environ, CAMPAIGNS_DIR=str(bad), INSTANCE_DIR=str(tmp_path / "instance"))
    result = subprocess.run([sys.executable, "app.py", "--port", "0"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "cannot start" in result.stderr and "line 3: locale" in result.stderr
    assert "Traceback" not in result.stderr


def _field_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.add(path)
        for inner in _models_in(info.annotation):
            suffix = "[]." if _is_list(info.annotation) else "."
            paths |= _field_paths(inner, path + suffix)
    return paths


def _is_list(annotation: object) -> bool:
    return getattr(annotation, "__origin__", None) is list or "list[" in str(annotation)


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_models_in(arg))
    return found


def test_every_definition_field_is_documented():
    docs = (ROOT / "docs" / "campaigns.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_\[\].]+)`", docs))
    missing = sorted(_field_paths(Campaign) - documented)
    assert not missing, f"document these campaign fields in docs/campaigns.md: {missing}"


def test_templates_failing_at_run_time_never_break_a_page_or_a_poster() -> None:
    from posterbooth.prompt import TemplateProblem, render, render_or

    for source in ("{{ 1 / 0 }}", "{{ range(10 ** 9) | list }}", "{{ '%d' % 'x' }}", "{{ 'x' * 99999 }}"):
        with pytest.raises(TemplateProblem):
            render(source, {})
        assert render_or("fallback", source, {}) == "fallback"


def test_zero_day_photo_retention_is_refused_when_the_poster_shows_the_photo(tmp_path) -> None:
    from tests.test_photo_web import LAB

    with pytest.raises(CampaignError, match="photo_retention_days 0 would delete the poster"):
        load_campaign(write(tmp_path, LAB.replace("photo-lab", "mini") + "privacy: {photo_retention_days: 0}\n"))


def test_campaign_files_parse_the_same_without_libyaml() -> None:
    """The C safe loader (when PyYAML has it) and the pure-Python one read every demo campaign alike."""
    import yaml

    from posterbooth.campaigns import safe_load_with_nodes

    paths = sorted((ROOT / "campaigns").glob("*/campaign.yaml"))
    assert len(paths) >= 4
    for path in paths:
        text = path.read_text(encoding="utf-8")
        fast, fast_node = safe_load_with_nodes(text)
        pure, pure_node = safe_load_with_nodes(text, yaml.SafeLoader)
        assert fast == pure == yaml.safe_load(text)
        assert fast_node is not None and pure_node is not None
        assert fast_node.value[-1][1].start_mark.line == pure_node.value[-1][1].start_mark.line
    with pytest.raises(yaml.YAMLError):
        safe_load_with_nodes("title: !!python/object:os.system ls")  # the safe loader refuses Python tags
