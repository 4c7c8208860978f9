"""Fair use a script cannot dodge: the device rides in the signed session, replays find the first poster,
cookieless clients meet the per-IP limit, and identity: wechat counts WeChat users via silent OAuth."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from posterbooth.models import Participation
from tests.attendee import answer, form_fields
from tests.fakes.wechat_oauth_server import FakeWeChatOAuth
from tests.test_caps import LAST, SLUG, capped_app, dispose_apps, ready_form, ready_to_submit

__all__ = ["dispose_apps"]

WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")


def participations(app) -> int:
    with app.extensions["posterbooth.db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(Participation)) or 0)


def test_thirty_replays_of_one_session_cookie_without_the_device_cookie_make_one_participation(
        app_env, monkeypatch, tmp_path, redis_conn):
    app = capped_app(monkeypatch, tmp_path, "")
    attendee = app.test_client()
    form = ready_to_submit(attendee)
    session_cookie = attendee.get_cookie("pb_session")
    assert session_cookie is not None
    statuses, places = [], set()
    for _ in range(30):
        replay = app.test_client()  # a script: the captured session cookie, no pb_device cookie
        replay.set_cookie("pb_session", session_cookie.value)
        response = replay.post(LAST, data=form)
        statuses.append(response.status_code)
        if response.status_code == 302:
            places.add(response.headers["Location"])
        else:
            assert "请稍等一下" in response.get_data(as_text=True) or response.status_code == 429
    assert participations(app) == 1
    assert len(places) == 1 and next(iter(places)).startswith("/r/")
    # the device rides in the session: the per-device limit (30 a minute) counts the replays too
    assert statuses.count(302) == 28 and statuses.count(429) == 2


def test_dropping_the_device_cookie_keeps_the_device_and_its_rate_limit(app_env, monkeypatch, tmp_path, redis_conn):
    app = capped_app(monkeypatch, tmp_path, "")
    client = app.test_client()
    first = client.get(f"/c/{SLUG}/q/scenery")
    fields = form_fields(first.get_data(as_text=True))
    device = client.get_cookie("pb_device").value
    statuses = []
    for _ in range(31):
        client.delete_cookie("pb_device")
        response = client.post(f"/c/{SLUG}/q/scenery", data={**fields, "answer": "lake"})
        statuses.append(response.status_code)
        assert client.get_cookie("pb_device").value == device or response.status_code == 429
    assert statuses[:30] == [302] * 30 and statuses[30] == 429


def test_thirty_one_posts_from_cookieless_clients_hit_the_per_ip_limit(app_env, monkeypatch, tmp_path, redis_conn):
    app = capped_app(monkeypatch, tmp_path, "", SUBMIT_IP_RATE_LIMIT="30 per minute")
    statuses, last = [], None
    for _ in range(31):
        client = app.test_client()  # a fresh client each time: new session, new device
        page = client.get(f"/c/{SLUG}/q/scenery")
        last = client.post(f"/c/{SLUG}/q/scenery", data={**form_fields(page.get_data(as_text=True)),
                                                            "answer": "lake"})
        statuses.append(last.status_code)
    assert statuses[:30] == [302] * 30 and statuses[30] == 429
    body = last.get_data(as_text=True)
    assert "请稍等一下" in body or "操作太频繁" in body or "稍后" in body, body[:400]
    assert "Traceback" not in body


def test_a_request_just_given_a_device_cannot_submit(app_env, monkeypatch, tmp_path, redis_conn):
    app = capped_app(monkeypatch, tmp_path, "", WTF_CSRF_ENABLED=False)
    attendee = app.test_client()
    ready_to_submit(attendee)
    with attendee.session_transaction() as session:
        drafts = session["drafts"]
        session.pop("device")
    stranger = app.test_client()
    with stranger.session_transaction() as session:  # a forged-free session with a full draft and no device
        session["drafts"] = {SLUG: {**drafts[SLUG], "answers": {**drafts[SLUG]["answers"]}}}
    response = stranger.post(LAST, data={"answer": "friends"})
    assert response.status_code == 302 and response.headers["Location"].endswith(LAST)
    assert participations(app) == 0
    assert stranger.post(LAST, data={"answer": "friends"}).headers["Location"].startswith("/r/")
    assert participations(app) == 1


# --- identity: wechat -----------------------------------------------------------------------------------

@pytest.fixture
def oauth():
    with FakeWeChatOAuth() as fake:
        yield fake


def wechat_app(monkeypatch, tmp_path, oauth, extra="limits: {per_attendee: 1}\n"):
    return capped_app(monkeypatch, tmp_path, "identity: wechat\n" + extra, WECHAT_APP_ID=oauth.app_id,
                      WECHAT_APP_SECRET=oauth.app_secret, WECHAT_OAUTH_BASE=oauth.url, WECHAT_API_BASE=oauth.url)


def follow_oauth(client, oauth_url: str) -> tuple[str, str]:
    """Open the landing page inside WeChat, go through the fake authorize page; return (callback, final)."""
    import httpx

    landing = client.get(f"/c/{SLUG}?ch=poster-a", headers={"User-Agent": WECHAT_UA})
    assert landing.status_code == 302
    authorize = landing.headers["Location"]
    assert authorize.startswith(f"{oauth_url}/connect/oauth2/authorize?") and authorize.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(authorize).query)
    assert query["scope"] == ["snsapi_base"] and query["response_type"] == ["code"]
    back = httpx.get(authorize.split("#")[0], follow_redirects=False)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    assert callback.netloc == "event.example.com"
    done = client.get(f"{callback.path}?{callback.query}", headers={"User-Agent": WECHAT_UA})
    return f"{callback.path}?{callback.query}", done.headers.get("Location", "")


def test_wechat_silent_oauth_keeps_the_openid_and_counts_wechat_users(app_env, monkeypatch, tmp_path, redis_conn,
                                                                      oauth):
    app = wechat_app(monkeypatch, tmp_path, oauth)
    phone = app.test_client()
    _callback, final = follow_oauth(phone, oauth.url)
    assert final == f"/c/{SLUG}?ch=poster-a"  # back to the landing page it was opened with
    with phone.session_transaction() as session:
        assert session["wx_openid"] == oauth.user
    assert oauth.exchanges[-1]["grant_type"] == "authorization_code"
    page = phone.get(f"/c/{SLUG}", headers={"User-Agent": WECHAT_UA})
    assert page.status_code == 200 and "开始测试" in page.get_data(as_text=True)
    assert phone.post(LAST, data=ready_to_submit(phone)).status_code == 302
    # the same WeChat user on a second phone: a new device, but the same attendee
    second = app.test_client()
    follow_oauth(second, oauth.url)
    refused = second.post(LAST, data=ready_to_submit(second))
    assert refused.status_code == 403 and "你的参与次数已用完" in refused.get_data(as_text=True)
    with app.extensions["posterbooth.db"].session() as session:
        assert session.scalars(select(Participation.attendee)).all() == [f"w:{oauth.user}"]


def test_an_expired_code_falls_back_to_the_device(app_env, monkeypatch, tmp_path, redis_conn, oauth, caplog):
    oauth.code_ttl = -1  # every code is expired by the time it is exchanged
    app = wechat_app(monkeypatch, tmp_path, oauth)
    phone = app.test_client()
    with caplog.at_level(logging.INFO, logger="posterbooth"):
        _callback, final = follow_oauth(phone, oauth.url)
    assert final == f"/c/{SLUG}?ch=poster-a"
    assert "code exchange failed: 40029" in caplog.text and "counting the device" in caplog.text
    page = phone.get(final, headers={"User-Agent": WECHAT_UA})  # no second round trip: the device counts
    assert page.status_code == 200
    assert phone.post(LAST, data=ready_to_submit(phone)).status_code == 302
    with app.extensions["posterbooth.db"].session() as session:
        assert session.scalars(select(Participation.attendee)).one().startswith("d:")


def test_a_user_refusing_falls_back_to_the_device(app_env, monkeypatch, tmp_path, redis_conn, oauth, caplog):
    oauth.refuse = True
    app = wechat_app(monkeypatch, tmp_path, oauth)
    phone = app.test_client()
    with caplog.at_level(logging.INFO, logger="posterbooth"):
        _callback, final = follow_oauth(phone, oauth.url)
    assert final == f"/c/{SLUG}?ch=poster-a" and "did not authorise" in caplog.text
    assert oauth.exchanges == []
    assert phone.get(final, headers={"User-Agent": WECHAT_UA}).status_code == 200


def test_outside_wechat_or_unconfigured_the_device_counts(app_env, monkeypatch, tmp_path, redis_conn, oauth, caplog):
    app = wechat_app(monkeypatch, tmp_path, oauth)
    with caplog.at_level(logging.INFO, logger="posterbooth"):
        assert app.test_client().get(f"/c/{SLUG}").status_code == 200
    assert "outside WeChat" in caplog.text
    bare = capped_app(monkeypatch, tmp_path / "bare", "identity: wechat\n")
    with caplog.at_level(logging.INFO, logger="posterbooth"):
        assert bare.test_client().get(f"/c/{SLUG}", headers={"User-Agent": WECHAT_UA}).status_code == 200
    assert "WeChat is not configured" in caplog.text
    assert oauth.authorizations == []


def test_a_forged_callback_is_not_trusted(app_env, monkeypatch, tmp_path, redis_conn, oauth):
    app = wechat_app(monkeypatch, tmp_path, oauth)
    phone = app.test_client()
    response = phone.get(f"/wechat/oauth/{SLUG}?code=stolen&state=guess")
    assert response.status_code == 302 and oauth.exchanges == []
    with phone.session_transaction() as session:
        assert "wx_openid" not in session


def test_answers_kept_after_a_refusal_can_be_submitted_later(app_env, monkeypatch, tmp_path, redis_conn):
    app = capped_app(monkeypatch, tmp_path, "limits: {total: 1}\n")
    first = app.test_client()
    assert first.post(LAST, data=ready_to_submit(first)).status_code == 302
    second = app.test_client()
    refused = second.post(LAST, data=ready_to_submit(second))
    assert refused.status_code == 403 and LAST in refused.get_data(as_text=True)
    assert answer(second, SLUG, "companion", "friends").status_code == 403  # still full, answers still there
    assert ready_form(second)["answer"] == "friends"
