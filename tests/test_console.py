"""The marketer console through the Flask test client: sign-in, roles, CSRF, takedown, pause."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from posterbooth.models import Participation
from tests.attendee import SPRING, complete, form_fields
from tests.console_helpers import (
    ADMIN_PASSWORD,
    audit_actions,
    csrf,
    login,
    make_poster,
)


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
