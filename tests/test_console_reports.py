"""The console's numbers through the Flask test client: CSV export, overview, channels, the operators CLI."""

from __future__ import annotations

import csv
import io

from flask.testing import FlaskClient

from posterbooth.models import Participation
from tests.console_helpers import (
    audit_actions,
    csrf,
    login,
    make_poster,
)


def test_export_rows_and_encoding(console_app):
    attendee = console_app.test_client()
    participation = make_poster(console_app, attendee)
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    response = client.get("/admin/c/spring-outing/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["participation"] == participation.public_id
    assert row["status"] == "done"
    assert participation.device_id not in body.decode("utf-8-sig")
    assert len(row["device"]) == 16
    assert participation.prompt not in body.decode("utf-8-sig")
    loaded = console_app.extensions["posterbooth.campaigns"]["spring-outing"]
    question = loaded.definition.question("scenery")
    label = next(o.label for o in question.options if o.value == "lake")
    assert row[f"scenery: {question.title}"] == label
    assert ("mia", "export") in audit_actions(console_app)


def _bulk_participations(app, count: int, start: int = 0) -> None:
    from sqlalchemy import insert

    rows = [{
        "public_id": f"p{index:08d}", "share_token": f"s{index:08d}", "referral_code": f"r{index:08d}",
        "submission_key": f"k{index}", "campaign": "spring-outing", "device_id": f"device-{index % 997}",
        "answers": {"scenery": "lake", "pace": "stroll", "companion": "friends"}, "outcome": "xihu",
        "prompt": "SECRET-PROMPT-PART", "seed": index, "provider": "offline", "status": "done",
        "channel": "booth" if index % 2 else "",
    } for index in range(start, start + count)]
    with app.extensions["posterbooth.db"].session() as session:
        for first in range(0, count, 2000):
            session.execute(insert(Participation), rows[first:first + 2000])


def _export_peak(client: FlaskClient) -> tuple[int, int, int]:
    """Stream the export; return (bytes, lines, peak traced memory while streaming)."""
    import tracemalloc

    tracemalloc.start()
    try:
        response = client.get("/admin/c/spring-outing/export.csv", buffered=False)
        assert response.status_code == 200
        size = lines = 0
        for chunk in response.response:
            size += len(chunk)
            lines += chunk.count(b"\n")
        response.close()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return size, lines, peak


def test_export_of_ten_thousand_rows_streams_in_bounded_memory(console_app):
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    _bulk_participations(console_app, 2_000)
    _export_peak(client)  # warm caches (compiled queries, templates) so they do not count below
    small_size, small_lines, small_peak = _export_peak(client)
    _bulk_participations(console_app, 10_000, start=2_000)
    size, lines, peak = _export_peak(client)
    assert small_lines == 2_001 and lines == 12_001
    assert size > 5 * small_size
    # Five times the rows, about the same memory: rows are streamed in batches, never all held at once.
    assert peak < small_peak * 1.5 + 256 * 1024, (small_peak, peak)
    assert peak < 8 * 1024 * 1024


def test_overview_shows_funnel_answers_health_and_sharing(console_app):
    attendee = console_app.test_client()
    make_poster(console_app, attendee)
    assert attendee.get("/c/spring-outing?ch=booth&again=1").status_code == 200
    client = console_app.test_client()
    login(client, "vic", "vic-password-1")
    data = client.get("/admin/c/spring-outing/overview.json").get_json()
    steps = {(s["kind"], s["step"]): s["devices"] for s in data["funnel"]}
    assert steps[("start", "")] == 1 and steps[("answer", "scenery")] == 1 and steps[("answer", "companion")] == 1
    assert steps[("submit", "")] == 1 and steps[("done", "")] == 1
    assert data["health"]["posters_last_hour"] == 1 and data["health"]["p50_seconds"] is not None
    assert data["health"]["provider"]["circuit"] == "closed"
    scenery = next(q for q in data["answers"]["questions"] if q["id"] == "scenery")
    assert {o["value"]: o["count"] for o in scenery["options"]}["lake"] == 1
    assert sum(o["count"] for o in data["answers"]["outcomes"]) == 1
    assert data["sharing"]["participants"] == 1
    assert "<svg" in data["html"]
    booth = client.get("/admin/c/spring-outing/overview.json?ch=booth&range=1h").get_json()
    assert {(s["kind"], s["step"]): s["devices"] for s in booth["funnel"]}[("start", "")] == 0
    page = client.get("/admin/c/spring-outing?range=24h").get_data(as_text=True)
    assert page.count("<svg") >= 3 and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_circuit_state_and_next_probe_show_in_the_overview(console_app, redis_conn):
    import time

    redis_conn.hset("posterbooth:circuit:offline", mapping={"state": "open", "until": time.time() + 90,
                                                             "code": "billing"})
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    provider = client.get("/admin/c/spring-outing/overview.json").get_json()["health"]["provider"]
    assert provider["circuit"] == "open" and 85 <= provider["next_probe_in"] <= 90 and provider["code"] == "billing"
    index = client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "stopped" in index and "billing" in index


def test_channels_qr_codes_and_print_page(console_app):
    from PIL import Image

    from tests.qr_decode import decode_poster_qr

    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    token = csrf(client, "/admin/c/spring-outing/channels")
    bad = client.post("/admin/c/spring-outing/channels", data={"csrf_token": token, "code": "Bad Code!"})
    assert bad.status_code == 422
    created = client.post("/admin/c/spring-outing/channels",
                          data={"csrf_token": token, "code": "booth-a", "caption": "扫码<b>生成</b>海报"})
    assert created.status_code == 303
    page = client.get("/admin/c/spring-outing/channels").get_data(as_text=True)
    assert "https://event.example.com/c/spring-outing?ch=booth-a" in page
    png = client.get("/admin/c/spring-outing/channels/booth-a/qr.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert decode_poster_qr(Image.open(io.BytesIO(png.data)).convert("RGB")) == \
        "https://event.example.com/c/spring-outing?ch=booth-a"
    svg = client.get("/admin/c/spring-outing/channels/booth-a/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    sheet = client.get("/admin/c/spring-outing/channels/booth-a/print?size=a4").get_data(as_text=True)
    assert "扫码&lt;b&gt;生成&lt;/b&gt;海报" in sheet and "print.css" in sheet
    assert client.get("/admin/c/spring-outing/channels/nope/qr.png").status_code == 404
    assert ("mia", "channel_add") in audit_actions(console_app)


def test_attendee_pages_carry_nothing_of_the_console(console_app):
    attendee = console_app.test_client()
    participation = make_poster(console_app, attendee)
    for path in ("/c/spring-outing?again=1", "/c/spring-outing/q/scenery", f"/s/{participation.share_token}"):
        html = attendee.get(path).get_data(as_text=True)
        assert "admin/" not in html and "console" not in html, path
    # The console's sign-in machinery reads no session on other pages: no "Vary: Cookie" that would keep the
    # immutable media files out of shared caches (a browser without a session, as a CDN's fetch would be).
    fresh = console_app.test_client()
    for path in (f"/media/{participation.poster_path}", "/static/app.css", "/c/spring-outing/asset/cover",
                 f"/s/{participation.share_token}/thumb.jpg"):
        response = fresh.get(path)
        assert response.status_code == 200, path
        assert "Cookie" not in response.headers.get("Vary", ""), path
        assert "Set-Cookie" not in response.headers, path


def test_operators_command_line(console_app):
    runner = console_app.test_cli_runner()
    result = runner.invoke(args=["operators", "add", "lee", "--role", "admin", "--password-stdin"],
                           input="lee-password-9\n")
    assert result.exit_code == 0, result.output
    assert "lee-password-9" not in result.output
    listed = runner.invoke(args=["operators", "list"]).output
    assert "lee\tadmin" in listed and "vic\tviewer" in listed
    short = runner.invoke(args=["operators", "add", "kim", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least" in short.output
    taken = runner.invoke(args=["operators", "add", "lee", "--password-stdin"], input="another-password\n")
    assert taken.exit_code != 0 and "exists already" in taken.output
    client = console_app.test_client()
    assert login(client, "lee", "lee-password-9").status_code == 303
    changed = runner.invoke(args=["operators", "set-password", "lee", "--password-stdin"], input="new-password-77\n")
    assert changed.exit_code == 0
    assert client.get("/admin/").status_code == 302  # the old password's session ended
    assert login(client, "lee", "new-password-77").status_code == 303
    assert runner.invoke(args=["operators", "remove", "lee"]).exit_code == 0
    assert client.get("/admin/").status_code == 302
    assert runner.invoke(args=["operators", "remove", "lee"]).exit_code != 0
    actions = [a for o, a in audit_actions(console_app) if o == "(shell)"]
    assert actions == ["operator_add", "operator_password", "operator_remove"]


def test_overview_ignores_odd_query_parameters(console_app):
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    response = client.get("/admin/c/spring-outing?slug=x&range=nope&ch=*&page=-1")
    assert response.status_code == 200
    assert 'data-poll="/admin/c/spring-outing/overview.json?range=all&amp;ch=*"' in response.get_data(as_text=True)
