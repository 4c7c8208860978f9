"""Property-based fuzzing of every attendee route: whatever arrives, the answer is never a 5xx.

Random methods, paths built from every rule of the URL map (with real and random slugs, ids, tokens and
names: NULs, control characters, overlong and non-ASCII ones), query strings, form fields, cookies and
multipart uploads, on SQLite and PostgreSQL. The example count is bounded so it runs in CI in well under a
minute in all.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.attendee import SPRING, complete

EXAMPLES = 250  # each example sends three requests: 1,500 requests over the two databases

_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")

_KNOWN_BAD = st.sampled_from(["\x00", "a\x00b", "\x00.png", "%00", "..", "../../etc/passwd", "a" * 300, "x" * 5000,
                             "%", "%zz", "\u202e", "😀" * 50, " ", "\r\n", "'; DROP TABLE participations; --"])
nasty_text = st.one_of(
    _KNOWN_BAD,  # first (hypothesis's favourite branch): the inputs that broke routes before come up often
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=400),
)


@st.composite
def segments(draw: st.DrawFn, known: dict[str, list[str]], name: str) -> str:
    """Return a path segment for a URL rule's parameter: sometimes a real value, often a nasty one."""
    real = known.get(name, [])
    if real and draw(st.booleans()):
        return draw(st.sampled_from(real))
    return draw(nasty_text)


@st.composite
def requests(draw: st.DrawFn, rules: list[str], known: dict[str, list[str]]) -> dict:
    """Return one random request: method, path, query, form or multipart body, cookies, headers."""
    rule = draw(st.sampled_from(rules))
    # As a browser or an attacker sends them: every byte percent-encoded (NULs arrive as %00).
    path = _PARAM.sub(lambda m: quote(draw(segments(known, m.group(1))), safe="" if draw(st.booleans()) else "/"),
                      rule)
    if draw(st.integers(0, 9)) == 0:
        path += draw(st.sampled_from(["/", "//", "/x", "/%00", "/" + "z" * 400, "/%2e%2e/%2e%2e/"]))
    if path.startswith("//"):  # the test client would take it for a scheme-relative URL (another host)
        path = "/%2F" + path[2:]
    method = draw(st.sampled_from(["GET", "GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]))
    query = draw(st.dictionaries(st.sampled_from(["ref", "ch", "again", "url", "v", "x"]), nasty_text, max_size=3))
    form = draw(st.dictionaries(st.sampled_from(["answer", "style", "draft", "csrf_token", "consent", "photo",
                                                 "keep_photo", "x"]), nasty_text, max_size=4))
    cookies = draw(st.dictionaries(st.sampled_from(["pb_session", "pb_device", "x"]), st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=";,\\\""), max_size=200),
        max_size=2))
    upload = draw(st.one_of(st.none(), st.binary(max_size=2000), st.sampled_from([
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"\xff\xd8\xff\xe0" + b"\x00" * 50, b"GIF89a", b"RIFF\x00\x00WEBP"])))
    filename = draw(st.one_of(st.just("photo.jpg"), nasty_text))
    return {"method": method, "path": path, "query": query, "form": form, "cookies": cookies, "upload": upload,
            "filename": filename, "host": draw(st.sampled_from(["localhost", "event.example.com", "evil.example"]))}


def _known_values(app, client) -> dict[str, list[str]]:
    """Make one real participation, so that fuzzed requests also reach existing rows and files."""
    from sqlalchemy import select

    from posterbooth.models import Participation

    complete(client, "spring-outing", SPRING)  # queued: a result page with a waiting participation
    with app.extensions["posterbooth.db"].session() as session:
        p = session.scalars(select(Participation)).one()
    return {"slug": ["spring-outing", "anime-self", "dream-weekend"], "question_id": ["scenery", "pace", "selfie"],
            "public_id": [p.public_id], "token": [p.share_token], "kind": ["cover", "logo"],
            "relative": ["posters/ab/abcdefghijklmnopqrstuvwx.jpg"], "filename": ["app.css"], "name": ["photo.jpg"]}


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_no_request_to_an_attendee_route_gets_a_server_error(app, client) -> None:
    known = _known_values(app, client)
    rules = sorted({rule.rule for rule in app.url_map.iter_rules() if not rule.rule.startswith("/admin")})
    failures: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(requests(rules, known), min_size=3, max_size=3))
    def fuzz(batch: list[dict]) -> None:
        for item in batch:
            data: dict = dict(item["form"])
            if item["upload"] is not None and item["method"] == "POST":
                import io

                data["photo"] = (io.BytesIO(item["upload"]), item["filename"])
            fuzzed = app.test_client()
            for name, value in item["cookies"].items():
                fuzzed.set_cookie(name, value)
            response = fuzzed.open(item["path"], method=item["method"], query_string=item["query"],
                                   data=data if item["method"] not in {"GET", "HEAD"} else None,
                                   headers={"Host": item["host"]})
            status = response.status_code
            response.close()
            if status >= 500:
                failures.append(f"{item['method']} {item['path']!r} -> {status}")
            assert status < 500, failures[-1]

    fuzz()
