"""Bad posts get a clear 4xx page in the attendee's language; never a 500."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest
from PIL import Image

from posterbooth.storage import MediaStore
from tests.attendee import answer, form_fields


def _post(client, url: str, **data):
    page = client.get(url)
    fields = form_fields(page.get_data(as_text=True)) if page.status_code == 200 else {}
    return client.post(url, data={**fields, **data})


@pytest.mark.parametrize(
    ("slug", "step", "data", "status", "message"),
    [
        ("spring-outing", "scenery", {}, 422, "请先回答这个问题"),
        ("spring-outing", "scenery", {"answer": "paris"}, 422, "这个选项不在列表中"),
        ("spring-outing", "scenery", {"answer": ["lake", "flowers"]}, 422, "这个选项不在列表中"),
        ("dream-weekend", "place", {"answer": "moon"}, 422, "That choice is not one of the options"),
    ],
)
def test_bad_choice_posts(client, slug, step, data, status, message):
    response = _post(client, f"/c/{slug}/q/{step}", **data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def _reach_word(client):
    answer(client, "dream-weekend", "place", "sea")
    answer(client, "dream-weekend", "time", "morning")


def test_over_long_text_is_refused_with_its_limit(client):
    _reach_word(client)
    response = _post(client, "/c/dream-weekend/q/word", answer="x" * 25)
    assert response.status_code == 422
    assert "Please keep it to 24 characters." in response.get_data(as_text=True)


def test_empty_required_text_is_refused(client):
    _reach_word(client)
    response = _post(client, "/c/dream-weekend/q/word", answer=" \u200b\t ")
    assert response.status_code == 422 and "Please answer this question." in response.get_data(as_text=True)


def test_blocked_word_gets_a_friendly_message_and_keeps_earlier_answers(client):
    _reach_word(client)
    response = _post(client, "/c/dream-weekend/q/word", answer="K i l l")
    assert response.status_code == 422
    assert "can't be used" in html.unescape(response.get_data(as_text=True))
    assert "This question" not in response.get_data(as_text=True)
    assert ">K i l l</textarea>" in response.get_data(as_text=True)  # what was typed stays in the field
    back = client.get("/c/dream-weekend/q/time").get_data(as_text=True)
    assert 'value="morning" checked' in back


def test_control_characters_are_stripped_from_text(app, client):
    _reach_word(client)
    response = _post(client, "/c/dream-weekend/q/word", answer="sun\x00\x1b[31mny\u202e")
    assert response.status_code == 302
    answer(client, "dream-weekend", "style", "ink")
    from sqlalchemy import select

    from posterbooth.models import Participation

    with app.extensions["posterbooth.db"].session() as session:
        assert session.scalars(select(Participation.answers)).one()["word"] == "sun[31mny"


def test_unknown_style_is_refused(client):
    _reach_word(client)
    _post(client, "/c/dream-weekend/q/word", answer="calm")
    response = _post(client, "/c/dream-weekend/style", style="cubism")
    assert response.status_code == 422 and "Please choose a style." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/c/no-such-campaign", 404),
        ("get", "/c/spring-outing/q/no_such_question", 404),
        ("get", "/c/spring-outing/style", 404),
        ("get", "/c/spring-outing/asset/secret", 404),
        ("get", "/r/not-a-real-id", 404),
        ("get", "/r/not-a-real-id/status.json", 404),
        ("get", "/s/not-a-real-token", 404),
        ("get", "/media/posters/none.jpg", 404),
        ("post", "/c/spring-outing/q/scenery", 400),  # no CSRF token
        ("post", "/c/spring-outing", 405),
    ],
)
def test_unknown_and_malformed_requests(client, method, url, status):
    response = getattr(client, method)(url)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "<h1>" in body


def _outside_picture(app) -> tuple[Path, Path]:
    """Put a real JPEG beside (outside) the media folder; return (media root, the outside file)."""
    root = Path(app.config["MEDIA_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    outside = root.parent / "outside.jpg"
    Image.new("RGB", (8, 8), "red").save(outside)
    return root, outside


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "url", ["/media/../outside.jpg", "/media/%2e%2e/outside.jpg", "/media/posters/../../outside.jpg",
            "/media/posters/ab/..%2f..%2f..%2foutside.jpg"]
)
def test_media_paths_cannot_climb_out_of_the_folder(app, client, url):
    root, outside = _outside_picture(app)
    assert outside.is_file() and client.get("/media/" + os.path.relpath(outside, root)).status_code == 404
    with client.get(url) as response:
        assert response.status_code == 404 and response.data != outside.read_bytes()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_media_links_pointing_out_of_the_folder_are_not_followed(app, client):
    """A well-formed name whose file is a link out of the folder: the store's root check refuses it."""
    root, outside = _outside_picture(app)
    inside = root / "posters" / "ab" / "abcdefghijklmnop.jpg"
    inside.parent.mkdir(parents=True)
    Image.new("RGB", (8, 8), "blue").save(inside)
    with client.get("/media/posters/ab/abcdefghijklmnop.jpg") as served:
        assert served.status_code == 200 and served.data == inside.read_bytes()  # the route serves it...
    inside.unlink()
    inside.symlink_to(outside)
    assert client.get("/media/posters/ab/abcdefghijklmnop.jpg").status_code == 404  # ...but not a way out
    store = MediaStore(root)
    assert store.path("posters/ab/abcdefghijklmnop.jpg") is None
    assert store.path("../outside.jpg") is None and store.path(str(outside)) is None
    assert not store.delete("../outside.jpg") and outside.is_file()


def test_unknown_campaign_post_with_token_is_404(client):
    page = client.get("/c/spring-outing/q/scenery").get_data(as_text=True)
    response = client.post("/c/nope/q/scenery", data={**form_fields(page), "answer": "lake"})
    assert response.status_code == 404


def test_oversized_post_is_413(client):
    page = client.get("/c/spring-outing/q/scenery").get_data(as_text=True)
    response = client.post("/c/spring-outing/q/scenery", data={**form_fields(page), "answer": "a" * (3 << 20)})
    assert response.status_code == 413


def test_missing_csrf_message_is_in_the_campaign_language(client):
    response = client.post("/c/spring-outing/q/scenery", data={"answer": "lake"},
                           headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/media/" + "a" * 300),
        ("get", "/media/posters/ab/" + "a" * 300 + ".jpg"),
        ("get", "/media/%00"),
        ("get", "/media/%00.png"),
        ("get", "/media/posters/ab/a%00b.jpg"),
        ("get", "/r/%00"),
        ("get", "/r/a%00b/status.json"),
        ("get", "/r/" + "a" * 300),
        ("post", "/r/%00/answers"),
        ("post", "/r/%00/photo/delete"),
        ("get", "/s/%00"),
        ("get", "/s/%00/thumb.jpg"),
        ("get", "/s/" + "b" * 300 + "/thumb.jpg"),
        ("get", "/u/%00/photo.jpg"),
        ("get", "/u/" + "c" * 600 + "/photo.jpg"),
    ],
)
def test_nul_bytes_and_overlong_names_are_404(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code in {400, 404}, url
    assert "Traceback" not in response.get_data(as_text=True)
