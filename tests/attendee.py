"""Helpers that act like an attendee's browser on the Flask test client."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[a-z_]+)" value="(?P<value>[^"]*)">')


def form_fields(html: str) -> dict[str, str]:
    """Return the hidden fields of the page's form (CSRF token, draft key)."""
    return {m["name"]: m["value"] for m in _HIDDEN.finditer(html)}


def answer(client: FlaskClient, slug: str, step: str, value: Any) -> Any:
    """Open a question (or the style step) and post an answer, like a browser would."""
    url = f"/c/{slug}/style" if step == "style" else f"/c/{slug}/q/{step}"
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data: dict[str, Any] = form_fields(page.get_data(as_text=True))
    data["style" if step == "style" else "answer"] = value
    return client.post(url, data=data)


def complete(client: FlaskClient, slug: str, answers: list[tuple[str, Any]]) -> str:
    """Answer every step in order and return the result page path."""
    response = None
    for step, value in answers:
        response = answer(client, slug, step, value)
        assert response.status_code == 302, (step, response.status_code, response.get_data(as_text=True)[:500])
    assert response is not None
    location = response.headers["Location"]
    assert location.startswith("/r/"), location
    return location


SPRING = [("scenery", "lake"), ("pace", "stroll"), ("companion", "friends")]
WEEKEND = [("place", "sea"), ("time", "sunset"), ("word", "freedom"), ("style", "watercolor")]


def demo_with(tmp_path: Path, slug: str, old: str, new: str) -> Path:
    """Copy a demo campaign (its definition, cover and logo) into ``tmp_path`` with ``old`` replaced by ``new``."""
    from tests.conftest import CAMPAIGNS

    folder = tmp_path / slug
    folder.mkdir()
    for name in ("cover.jpg", "logo.png"):
        (folder / name).write_bytes((CAMPAIGNS / slug / name).read_bytes())
    text = (CAMPAIGNS / slug / "campaign.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "campaign.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return folder
