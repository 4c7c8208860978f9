"""Proof sheets: the answer-space search, the rendered sheet and its report, the CLI and the console page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image
from rq import SimpleWorker

from posterbooth.campaigns import load_all, load_campaign
from posterbooth.proof.reach import analyse
from posterbooth.schema import Condition
from tests.console_helpers import ADMIN_PASSWORD, audit_actions, csrf, login

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGNS = ROOT / "campaigns"
BASE = "https://event.example.com"


def _definition(slug: str) -> dict:
    return yaml.safe_load((CAMPAIGNS / slug / "campaign.yaml").read_text(encoding="utf-8"))


def _broken_campaign(root: Path) -> Path:
    """Write a campaign with an unreachable outcome, a cut text, an overflowing text and a low-contrast text."""
    data = _definition("spring-outing")
    data["slug"] = "proof-broken"
    # No option scores "ghost" and it is listed last: every tie goes to an earlier outcome.
    data["outcomes"].append({"id": "ghost", "title": "幽灵", "description": "没有人会来这里。"})
    data["poster"]["texts"] = [
        # A description far too long for one short line: cut with '…'.
        {"text": "{{ outcome.description }}{{ outcome.description }}", "x": 60, "y": 1196, "width": 300,
         "height": 56, "size": 38, "color": "#1E2B26", "max_lines": 1},
        # A column narrower than one character: the characters stick out of the box.
        {"text": "{{ outcome.title }}", "x": 60, "y": 1300, "width": 30, "height": 120, "size": 60,
         "color": "#1E2B26", "max_lines": 1, "shrink_to_fit": False},
        # Pale grey on the cream background: about 1.5:1.
        {"text": "和{{ answers.companion.label }}一起", "x": 200, "y": 1400, "width": 800, "height": 56, "size": 38,
         "color": "#C8C8C8", "max_lines": 1},
    ]
    folder = root / "proof-broken"
    folder.mkdir(parents=True)
    for asset in ("cover.jpg", "logo.png"):
        shutil.copy(CAMPAIGNS / "spring-outing" / asset, folder / asset)
    (folder / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- the answer-space search


def test_search_finds_answers_for_every_outcome_of_the_demos():
    for slug, loaded in load_all(CAMPAIGNS).items():
        campaign = loaded.definition
        reach = analyse(campaign)
        assert reach.exhaustive and not reach.unreachable and not reach.never_shown, slug
        from posterbooth.outcome import choose_outcome

        for outcome in campaign.outcomes:
            assert choose_outcome(campaign, reach.samples[outcome.id]).id == outcome.id, (slug, outcome.id)


def test_search_prefers_answers_that_show_every_question():
    campaign = load_campaign(CAMPAIGNS / "dream-weekend").definition
    reach = analyse(campaign)
    # night_plan only shows after "Under the stars"; the sample for the city outcome shows it.
    assert reach.samples["lights"]["time"] == "night" and "night_plan" in reach.samples["lights"]
    assert reach.answer_sets == 4 * 2 + 4 * 2  # 4 places × (morning, sunset), and 4 × night × 2 plans


def test_search_names_outcomes_shadowed_by_earlier_rules(tmp_path):
    data = _definition("spring-outing")
    data["outcome_by"] = "rules"
    data["outcomes"][0]["when"] = [{"question": "scenery", "any_of": ["lake", "snow_mountain"]}]
    data["outcomes"][1]["when"] = [{"question": "scenery", "any_of": ["lake"]}]  # always taken by the first
    data["outcomes"][2]["when"] = []
    folder = tmp_path / "spring-outing"
    folder.mkdir()
    for asset in ("cover.jpg", "logo.png"):
        shutil.copy(CAMPAIGNS / "spring-outing" / asset, folder / asset)
    (folder / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    campaign = load_campaign(folder).definition
    reach = analyse(campaign)
    assert [u.outcome for u in reach.unreachable] == [campaign.outcomes[1].id]
    assert campaign.outcomes[0].id in reach.unreachable[0].reason


def test_search_names_questions_that_never_show():
    campaign = load_campaign(CAMPAIGNS / "dream-weekend").definition
    # Validation refuses a condition on a value that does not exist; a definition edited around it is still found.
    question = campaign.question("night_plan")
    assert question is not None
    hidden = question.model_copy(update={"show_if": Condition.model_construct(question="time", any_of=["noon"])})
    broken = campaign.model_copy(update={"questions": [hidden if q.id == "night_plan" else q
                                                       for q in campaign.questions]})
    assert analyse(broken).never_shown == ["night_plan"]
    assert analyse(campaign).never_shown == []


def test_search_samples_a_space_too_large_to_walk():
    campaign = load_campaign(CAMPAIGNS / "dream-weekend").definition
    reach = analyse(campaign, limit=5)
    assert not reach.exhaustive and not reach.unreachable
    assert set(reach.samples) == {o.id for o in campaign.outcomes}


# --------------------------------------------------------------------------- the command line


def _preview(app, *args: str):
    return app.test_cli_runner().invoke(args=["campaigns", "preview", *args], catch_exceptions=False)


#: The command renders from the campaign files and writes files: it reads no database, so one twin is enough.
CLI_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def broken_app(app_env, tmp_path, monkeypatch):
    """Return the app with the demo campaigns and the broken test campaign."""
    root = tmp_path / "campaigns"
    shutil.copytree(CAMPAIGNS / "spring-outing", root / "spring-outing")
    _broken_campaign(root)
    monkeypatch.setenv("CAMPAIGNS_DIR", str(root))
    from posterbooth import create_app

    application = create_app({"TESTING": True})
    yield application
    application.extensions["posterbooth.db"].dispose()


@CLI_ONLY
def test_preview_names_each_problem_and_exits_non_zero(broken_app, tmp_path):
    out = tmp_path / "sheet"
    result = _preview(broken_app, "proof-broken", "--out", str(out))
    assert result.exit_code == 1, result.output
    text = result.output
    assert "unreachable: outcome ghost:" in text
    assert re.search(r"cut: poster texts\[0\]: text cut with '…'", text)
    assert re.search(r"overflow: poster texts\[1\]: text reaches \d+px past its box's width", text)
    assert re.search(r"contrast: poster texts\[2\]: contrast 1\.\d+:1 is below WCAG AA 4\.5:1", text)
    assert "contrast: poster texts[0]" not in text and "contrast: poster texts[1]" not in text  # dark on cream
    # Four outcomes (the unreachable one too, drawn with neutral answers) × one style, and their cards.
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(report["posters"]) == 4 and not report["ok"]
    assert [p["reachable"] for p in report["posters"]] == [True, True, True, False]
    for poster in report["posters"]:
        assert poster["qr_decoded"] == f"{BASE}/c/proof-broken?ref=proofsheet23"
        assert f"{poster['poster_file']}: QR reads {BASE}/c/proof-broken" in text
        with Image.open(out / poster["poster_file"]) as image:
            assert image.size == (1080, 1920)
        with Image.open(out / poster["card_file"]) as image:
            assert image.size == (1200, 630)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count('<article class="cell bad">') == 4 and "unreachable: outcome ghost" in index


@CLI_ONLY
def test_preview_reports_a_qr_code_that_does_not_decode(broken_app, tmp_path):
    folder = Path(broken_app.config["CAMPAIGNS_DIR"]) / "spring-outing"
    data = yaml.safe_load((folder / "campaign.yaml").read_text(encoding="utf-8"))
    data["poster"]["qr"].update(size=72, padding=4)  # one pixel per module: too small for a phone to read
    (folder / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = _preview(broken_app, "spring-outing", "--out", str(tmp_path / "sheet"))
    assert result.exit_code == 1
    assert "qr: poster QR code: does not decode from the poster image" in result.output
    assert "QR DOES NOT DECODE" in result.output


@CLI_ONLY
def test_preview_refuses_unknown_campaign_language_and_provider(broken_app, tmp_path):
    out = str(tmp_path / "sheet")
    assert "no campaign 'nope'" in _preview(broken_app, "nope", "--out", out).output
    refused = _preview(broken_app, "spring-outing", "--out", out, "--lang", "en")
    assert refused.exit_code == 2 and "written in zh only" in refused.output
    refused = _preview(broken_app, "spring-outing", "--out", out, "--provider", "dall-e")
    assert refused.exit_code == 2 and "--provider must be one of" in refused.output
    assert not (tmp_path / "sheet").exists()


@CLI_ONLY
def test_preview_uses_the_text_given(app, tmp_path):
    out = tmp_path / "sheet"
    result = _preview(app, "dream-weekend", "--out", str(out), "--text", "Ocean", "--lang", "en")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {p["answers"]["word"] for p in report["posters"]} == {"Ocean"}
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output and len(report["posters"]) == 12


@pytest.mark.slow
@CLI_ONLY
def test_every_demo_campaign_gives_a_full_clean_sheet(app, tmp_path):
    for slug, loaded in load_all(CAMPAIGNS).items():
        campaign = loaded.definition
        out = tmp_path / slug
        result = _preview(app, slug, "--out", str(out))
        assert result.exit_code == 0, result.output
        expected = len(campaign.outcomes) * max(1, len(campaign.styles))
        posters = sorted(p.name for p in out.glob("*.jpg") if not p.name.endswith("-card.jpg"))
        cards = sorted(p.name for p in out.glob("*-card.jpg"))
        assert len(posters) == len(cards) == expected, slug
        assert f"{slug}: {expected} posters" in result.output
        assert result.output.count("QR reads") == expected
        assert (out / "index.html").is_file()


# --------------------------------------------------------------------------- the console page


def test_console_preview_needs_an_admin(console_app):
    anonymous = console_app.test_client()
    page = anonymous.get("/admin/c/spring-outing/preview")
    assert page.status_code == 302 and "/admin/login" in page.headers["Location"]
    assert anonymous.get("/admin/c/spring-outing/preview.json").status_code == 401
    viewer = console_app.test_client()
    login(viewer, "vic", "vic-password-1")
    assert viewer.get("/admin/c/spring-outing/preview").status_code == 403
    admin = console_app.test_client()
    login(admin, "admin", ADMIN_PASSWORD)
    assert admin.post("/admin/c/spring-outing/preview", data={"provider": "offline"}).status_code == 400  # no CSRF
    assert admin.get("/admin/c/nope/preview").status_code == 404


def test_console_renders_the_sheet_in_a_worker_and_shows_it(console_app):
    admin = console_app.test_client()
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(admin, "mia", "mia-password-1")
    page = admin.get("/admin/c/spring-outing/preview")
    assert page.status_code == 200 and "No proof sheet yet." in page.get_data(as_text=True)
    token = csrf(admin, "/admin/c/spring-outing/preview")
    started = admin.post("/admin/c/spring-outing/preview", data={"csrf_token": token, "provider": "offline"})
    assert started.status_code == 303
    waiting = admin.get("/admin/c/spring-outing/preview.json").get_json()
    assert waiting["stop"] is False and "Waiting for a worker" in waiting["html"]
    queue = console_app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    done = admin.get("/admin/c/spring-outing/preview.json").get_json()
    assert done["stop"] is True
    html = admin.get("/admin/c/spring-outing/preview").get_data(as_text=True)
    assert "3 posters" in html and "No problems found" in html
    images = re.findall(r'<img[^>]* src="(/admin/c/spring-outing/preview/[^"]+\.jpg)"', html)
    assert len(images) == 6  # three posters and their share cards
    served = admin.get(images[0])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "no-store"
    assert console_app.test_client().get(images[0]).status_code == 302  # signed out: to the login page
    relative = images[0].removeprefix("/admin/c/spring-outing/preview/")
    assert console_app.test_client().get(f"/media/proofs/spring-outing/{relative}").status_code == 404
    assert admin.get(images[0].replace(".jpg", ".png")).status_code == 404
    assert admin.get("/admin/c/spring-outing/preview/../../x/a.jpg").status_code == 404
    assert ("mia", "proof") in audit_actions(console_app)
