"""The marketer console through the Flask test client: sign-in, roles, CSRF, takedown, pause, export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from posterbooth.models import AuditEntry, Participation
from tests.attendee import SPRING, complete, form_fields

ADMIN_PASSWORD = "bootstrap-pass-123"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ClosingClient(FlaskClient):
    """A test client that closes its responses, so that events reach Redis as in production."""

    def open(self, *args, **kwargs):  # noqa: D102 - same as FlaskClient.open
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def console_app(app_env):
    """Return the app with a bootstrap admin password and two operator accounts."""
    from posterbooth import create_app
    from posterbooth.console.accounts import add_operator

    application = create_app({"TESTING": True, "ADMIN_PASSWORD": ADMIN_PASSWORD})
    application.test_client_class = ClosingClient
    db = application.extensions["posterbooth.db"]
    add_operator(db, "mia", "admin", "mia-password-1")
    add_operator(db, "vic", "viewer", "vic-password-1")
    yield application
    application.extensions["posterbooth.db"].dispose()


def csrf(client: FlaskClient, path: str = "/admin/login") -> str:
    """Return the CSRF token of the page's forms."""
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, (path, page.status_code)
    return match[1]


def login(client: FlaskClient, name: str, password: str) -> object:
    """Sign in through the login form."""
    return client.post("/admin/login", data={"csrf_token": csrf(client), "username": name, "password": password})


def make_poster(app, client: FlaskClient) -> Participation:
    """Take part as an attendee on this client and let a real worker make the poster."""
    from rq import SimpleWorker

    public_id = complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1]
    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    with app.extensions["posterbooth.db"].session() as session:
        participation = session.scalars(select(Participation).where(Participation.public_id == public_id)).one()
    assert participation.status == "done", participation.error_detail
    return participation


def audit_actions(app) -> list[tuple[str, str]]:
    """Return (operator, action) of the audit log, oldest first."""
    with app.extensions["posterbooth.db"].session() as session:
        return [(e.operator, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_login_page_and_pages_need_a_session(console_app):
    client = console_app.test_client()
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/c/spring-outing/overview.json").status_code == 401
    page = client.get("/admin/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="username"' in html and 'type="password"' in html
    assert "app.css" not in html and "admin/console.css" in html


def test_operator_account_signs_in_and_sees_campaigns(console_app):
    client = console_app.test_client()
    response = login(client, "mia", "mia-password-1")
    assert response.status_code == 303
    page = client.get("/admin/", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Spring" in html or "spring-outing" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert ("mia", "login") in audit_actions(console_app)


def test_bootstrap_admin_still_works(console_app):
    client = console_app.test_client()
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
    assert client.get("/admin/c/spring-outing").status_code == 200
    assert client.get("/admin/c/spring-outing/funnel.json").status_code == 200  # session works for scripts too
    basic = console_app.test_client()
    assert basic.get("/admin/c/spring-outing/funnel.json", auth=("admin", ADMIN_PASSWORD)).status_code == 200
    assert basic.get("/admin/c/spring-outing/referrals.json", auth=("mia", "mia-password-1")).status_code == 200
    assert basic.get("/admin/c/spring-outing/funnel.json", auth=("mia", "wrong-password")).status_code == 401


def test_wrong_password_is_refused_in_the_users_language(console_app):
    client = console_app.test_client()
    response = client.post("/admin/login", headers={"Accept-Language": "zh-CN"},
                           data={"csrf_token": csrf(client), "username": "mia", "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_failed_logins_lock_the_account_and_say_so(console_app):
    client = console_app.test_client()
    for _ in range(5):
        assert login(client, "mia", "wrong-password-x").status_code == 401
    locked = client.post("/admin/login", headers={"Accept-Language": "en"},
                         data={"csrf_token": csrf(client), "username": "mia", "password": "mia-password-1"})
    assert locked.status_code == 429
    assert "This account is locked" in locked.get_data(as_text=True)
    # Another account from the same address still signs in (the address limit is higher).
    assert login(client, "vic", "vic-password-1").status_code == 303


def test_failed_logins_are_throttled_per_address(console_app):
    client = console_app.test_client()
    for index in range(20):
        assert login(client, f"nobody{index}", "wrong-password-x").status_code == 401
    response = login(client, "mia", "mia-password-1")
    assert response.status_code == 429
    other = console_app.test_client()
    ok = other.post("/admin/login", environ_base={"REMOTE_ADDR": "10.9.8.7"},
                    data={"csrf_token": csrf(other), "username": "mia", "password": "mia-password-1"})
    assert ok.status_code == 303


def test_login_needs_csrf(console_app):
    client = console_app.test_client()
    response = client.post("/admin/login", data={"username": "mia", "password": "mia-password-1"})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/admin/c/spring-outing/pause"),
    ("post", "/admin/c/spring-outing/resume"),
    ("post", "/admin/p/TOKEN/hide"),
    ("post", "/admin/p/TOKEN/restore"),
    ("post", "/admin/c/spring-outing/channels"),
    ("post", "/admin/logout"),
])
def test_every_action_needs_csrf(console_app, method, path):
    attendee = console_app.test_client()
    participation = make_poster(console_app, attendee)
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    url = path.replace("TOKEN", participation.share_token)
    response = getattr(client, method)(url, data={"code": "booth"})
    assert response.status_code == 400
    assert [a for _o, a in audit_actions(console_app) if a != "login"] == []
    assert client.get("/admin/").status_code == 200  # still signed in: the logout was refused too


def test_viewer_can_look_but_not_act(console_app):
    attendee = console_app.test_client()
    participation = make_poster(console_app, attendee)
    client = console_app.test_client()
    login(client, "vic", "vic-password-1")
    token = csrf(client, "/admin/c/spring-outing")
    assert client.get("/admin/c/spring-outing").status_code == 200
    assert client.get(f"/admin/p/{participation.share_token}").status_code == 200
    for path in ("/admin/c/spring-outing/pause", f"/admin/p/{participation.share_token}/hide",
                 "/admin/c/spring-outing/channels"):
        assert client.post(path, data={"csrf_token": token, "code": "x"}).status_code == 403, path
    assert client.get("/admin/c/spring-outing/export.csv").status_code == 403
    html = client.get("/admin/c/spring-outing").get_data(as_text=True)
    assert "/pause" not in html and "export.csv" not in html
    assert attendee.get(f"/s/{participation.share_token}").status_code == 200


def test_hide_and_restore(console_app):
    attendee = console_app.test_client()
    participation = make_poster(console_app, attendee)
    token = participation.share_token
    poster_url = f"/media/{participation.poster_path}"
    card_url = f"/media/{participation.share_card_path}"
    assert attendee.get(poster_url).status_code == 200
    assert attendee.get(f"/s/{token}/thumb.jpg").status_code == 200
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    response = client.post(f"/admin/p/{token}/hide", data={"csrf_token": csrf(client, "/admin/")})
    assert response.status_code == 303
    share = attendee.get(f"/s/{token}")
    html = share.get_data(as_text=True)
    assert share.status_code == 410
    assert "这张海报已被主办方移除" in html
    assert 'property="og:image"' not in html and "thumb.jpg" not in html
    for url in (poster_url, card_url, f"/s/{token}/thumb.jpg"):
        assert attendee.get(url).status_code == 404, url
    media = Path(console_app.config["MEDIA_DIR"])
    assert not (media / participation.poster_path).exists()
    hidden_page = client.get("/admin/c/spring-outing/gallery?status=hidden").get_data(as_text=True)
    assert token in hidden_page
    assert client.get(f"/admin/p/{token}/image/poster").status_code == 200  # operators still see it
    response = client.post(f"/admin/p/{token}/restore", data={"csrf_token": csrf(client, "/admin/")})
    assert response.status_code == 303
    assert attendee.get(f"/s/{token}").status_code == 200
    assert attendee.get(poster_url).status_code == 200
    assert [a for _o, a in audit_actions(console_app) if a in {"hide", "restore"}] == ["hide", "restore"]
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "hide" in audit_page and "restore" in audit_page and "mia" in audit_page


def test_pause_and_resume(console_app):
    attendee = console_app.test_client()
    page = attendee.get("/c/spring-outing/q/scenery")
    fields = form_fields(page.get_data(as_text=True))
    attendee.post("/c/spring-outing/q/scenery", data={**fields, "answer": "lake"})
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    assert client.post("/admin/c/spring-outing/pause",
                       data={"csrf_token": csrf(client, "/admin/")}).status_code == 303
    landing = attendee.get("/c/spring-outing?again=1").get_data(as_text=True)
    assert "/c/spring-outing/q/" not in landing  # no start button
    refused = attendee.post("/c/spring-outing/q/pace", data={**fields, "answer": "stroll"})
    assert refused.status_code == 503
    assert "暂停" in refused.get_data(as_text=True)
    # Another process sees the switch at once: a second app on the same database and Redis.
    from posterbooth import create_app

    other = create_app({"TESTING": True})
    assert other.test_client().get("/c/spring-outing/q/scenery").status_code == 503
    other.extensions["posterbooth.db"].dispose()
    overview = client.get("/admin/c/spring-outing/overview.json")
    assert overview.get_json()["state"] == "paused"
    assert client.post("/admin/c/spring-outing/resume",
                       data={"csrf_token": csrf(client, "/admin/")}).status_code == 303
    # The draft was kept: the first answer is still there and the second one goes through.
    response = attendee.post("/c/spring-outing/q/pace", data={**fields, "answer": "stroll"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/q/companion")
    assert [a for _o, a in audit_actions(console_app) if a in {"pause", "resume"}] == ["pause", "resume"]


def test_paused_campaign_still_finishes_queued_posters(console_app):
    from rq import SimpleWorker

    attendee = console_app.test_client()
    public_id = complete(attendee, "spring-outing", SPRING).rsplit("/", 1)[-1]
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    client.post("/admin/c/spring-outing/pause", data={"csrf_token": csrf(client, "/admin/")})
    queue = console_app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    with console_app.extensions["posterbooth.db"].session() as session:
        status = session.scalar(select(Participation.status).where(Participation.public_id == public_id))
    assert status == "done"


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


def test_console_speaks_english_or_chinese(console_app):
    client = console_app.test_client()
    login(client, "vic", "vic-password-1")
    assert "活动列表" in client.get("/admin/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert client.get("/admin/lang/en?next=/admin/").headers["Location"] == "/admin/"
    html = client.get("/admin/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Campaigns" in html and 'lang="en"' in html
    assert client.get("/admin/lang/zh?next=https://evil.example/").headers["Location"] == "/admin/"
    missing = client.get("/admin/c/no-such-campaign")
    assert missing.status_code == 404 and "admin/console.css" in missing.get_data(as_text=True)


def test_a_poster_still_being_made_cannot_be_hidden(console_app):
    attendee = console_app.test_client()
    public_id = complete(attendee, "spring-outing", SPRING).rsplit("/", 1)[-1]
    with console_app.extensions["posterbooth.db"].session() as session:
        token = session.scalar(select(Participation.share_token).where(Participation.public_id == public_id))
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    response = client.post(f"/admin/p/{token}/hide", data={"csrf_token": csrf(client, "/admin/")})
    assert response.status_code == 409
    assert [a for _o, a in audit_actions(console_app) if a == "hide"] == []


def test_pause_switch_survives_a_flushed_redis(console_app, redis_conn):
    from posterbooth.console.controls import CONTROLS_KEY, is_paused, set_paused

    db = console_app.extensions["posterbooth.db"]
    set_paused(db, redis_conn, "spring-outing", True, "mia")
    redis_conn.delete(CONTROLS_KEY)  # Redis lost its copy: the database still knows
    other = type(redis_conn).from_url(console_app.config["REDIS_URL"])
    try:
        assert is_paused(db, other, "spring-outing") is True
        assert redis_conn.hget(CONTROLS_KEY, "spring-outing") == b"1"  # and Redis has it again
        assert is_paused(db, None, "spring-outing") is True  # no Redis at all: the database answers
    finally:
        other.close()


def test_uploaded_photos_only_to_admins_and_only_while_they_exist(console_app):
    attendee = console_app.test_client()
    participation = make_poster(console_app, attendee)
    media = Path(console_app.config["MEDIA_DIR"])
    photo = media / "uploads" / "zz" / "photo.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes((media / participation.poster_path).read_bytes())
    with console_app.extensions["posterbooth.db"].session() as session:
        session.get(Participation, participation.id).inputs = {"photo": "uploads/zz/photo.jpg"}
    token = participation.share_token
    viewer = console_app.test_client()
    login(viewer, "vic", "vic-password-1")
    page = viewer.get(f"/admin/p/{token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Only admins can see uploaded photos." in page and f"/admin/p/{token}/photo/" not in page
    assert viewer.get(f"/admin/p/{token}/photo/photo").status_code == 403
    admin = console_app.test_client()
    login(admin, "mia", "mia-password-1")
    assert f"/admin/p/{token}/photo/photo" in admin.get(f"/admin/p/{token}").get_data(as_text=True)
    assert admin.get(f"/admin/p/{token}/photo/photo").status_code == 200
    assert attendee.get("/media/uploads/zz/photo.jpg").status_code == 404
    photo.unlink()  # deleted by the attendee or the retention job
    assert f"/admin/p/{token}/photo/" not in admin.get(f"/admin/p/{token}").get_data(as_text=True)
    assert admin.get(f"/admin/p/{token}/photo/photo").status_code == 404


def test_basic_auth_of_operator_accounts_is_throttled_too(console_app):
    client = console_app.test_client()
    for _ in range(5):
        assert client.get("/admin/c/spring-outing/funnel.json", auth=("mia", "wrong-password-x")).status_code == 401
    # Locked now, even with the right password; the form says why.
    assert client.get("/admin/c/spring-outing/funnel.json", auth=("mia", "mia-password-1")).status_code == 401
    locked = login(client, "mia", "mia-password-1")
    assert locked.status_code == 429


def test_overview_ignores_odd_query_parameters(console_app):
    client = console_app.test_client()
    login(client, "mia", "mia-password-1")
    response = client.get("/admin/c/spring-outing?slug=x&range=nope&ch=*&page=-1")
    assert response.status_code == 200
    assert 'data-poll="/admin/c/spring-outing/overview.json?range=all&amp;ch=*"' in response.get_data(as_text=True)
