"""Every setting read by load_settings: its refusals, rewrites and effect on the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from posterbooth.config import ConfigError, Settings, load_settings
from posterbooth.providers import concurrency
from tests.attendee import answer, form_fields

KEY = "k" * 40


def _load(tmp_path: Path, **env: str) -> Settings:
    return load_settings({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": KEY, **env})


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"SECRET_KEY": "short"}, "SECRET_KEY from the environment is too short"),
        ({"PUBLIC_BASE_URL": "event.example.com"}, "PUBLIC_BASE_URL must start with http"),
        ({"INPUT_URL_BASE": "ftp://x"}, "INPUT_URL_BASE must start with http"),
        ({"WECHAT_OAUTH_BASE": "open.weixin.qq.com"}, "WECHAT_OAUTH_BASE must start with http"),
        ({"WECHAT_API_BASE": "api.weixin.qq.com"}, "WECHAT_API_BASE must start with http"),
        ({"HUNYUAN_ENDPOINT": "hunyuan.tencentcloudapi.com"}, "HUNYUAN_ENDPOINT must start with http"),
        ({"AIART_ENDPOINT": "//aiart"}, "AIART_ENDPOINT must start with http"),
        ({"OPENAI_BASE_URL": "api.openai.com"}, "OPENAI_BASE_URL must start with http"),
        ({"LIST_CAMPAIGNS": "maybe"}, "LIST_CAMPAIGNS must be one of"),
        ({"SECURE_COOKIES": "2"}, "SECURE_COOKIES must be one of"),
        ({"PROVIDER_CONCURRENCY": "0"}, "PROVIDER_CONCURRENCY must be at least 1"),
        ({"PROVIDER_CONCURRENCY": "two"}, "PROVIDER_CONCURRENCY must be a whole number"),
        ({"HUNYUAN_CONCURRENCY": "-1"}, "HUNYUAN_CONCURRENCY must be at least 0"),
        ({"OPENAI_CONCURRENCY": "1.5"}, "OPENAI_CONCURRENCY must be a whole number"),
        ({"PROVIDER_MAX_RETRIES": "x"}, "PROVIDER_MAX_RETRIES must be a whole number"),
        ({"PROVIDER_RETRY_DELAY": "soon"}, "PROVIDER_RETRY_DELAY must be a number"),
        ({"PROVIDER_JOB_TIMEOUT": "0.5"}, "PROVIDER_JOB_TIMEOUT must be at least 1"),
        ({"PROVIDER_PAUSE_SECONDS": "nan"}, "PROVIDER_PAUSE_SECONDS must be at least 0.1"),
        ({"EMBEDDED_WORKERS": "0"}, "EMBEDDED_WORKERS must be at least 1"),
        ({"PRICE_TABLE": "{not json"}, "PRICE_TABLE"),
        ({"ACCOUNT_BUDGET": "[1, 2]"}, "ACCOUNT_BUDGET"),
        ({"ACCOUNT_BUDGET_TIMEZONE": "Mars/Olympus"}, "ACCOUNT_BUDGET_TIMEZONE must be an IANA time zone"),
    ],
)
def test_each_unusable_setting_is_refused_with_its_name(tmp_path: Path, env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, **env)
    assert needle in str(raised.value)


def test_a_short_key_file_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("abc")
    with pytest.raises(ConfigError, match="too short"):
        load_settings({"INSTANCE_DIR": str(tmp_path)})


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://pb:pw@db:5432/posterbooth", "postgresql+psycopg://pb:pw@db:5432/posterbooth"),
        ("postgresql://pb@db/posterbooth", "postgresql+psycopg://pb@db/posterbooth"),
        ("postgresql+psycopg://pb@db/x", "postgresql+psycopg://pb@db/x"),
        ("sqlite:////data/pb.db", "sqlite:////data/pb.db"),
    ],
)
def test_database_urls_are_rewritten_for_the_psycopg_driver(tmp_path: Path, given: str, used: str) -> None:
    assert used == _load(tmp_path, DATABASE_URL=given).DATABASE_URL


def test_without_a_database_url_the_instance_keeps_a_sqlite_file(tmp_path: Path) -> None:
    assert f"sqlite:///{tmp_path.resolve() / 'posterbooth.db'}" == _load(tmp_path).DATABASE_URL


def test_per_provider_concurrency_overrides_the_shared_one(tmp_path: Path) -> None:
    settings = _load(tmp_path, PROVIDER_CONCURRENCY="3", HUNYUAN_CONCURRENCY="5")
    assert concurrency(settings, "hunyuan") == 5
    assert concurrency(settings, "openai") == 3  # 0: falls back to PROVIDER_CONCURRENCY
    assert concurrency(settings, "offline") is None  # no account, no limit
    assert concurrency(_load(tmp_path, OPENAI_CONCURRENCY="2"), "openai") == 2
    assert concurrency(_load(tmp_path), "hunyuan") == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("value", "secure"), [("1", True), ("0", False)])
def test_secure_cookies_marks_the_session_and_device_cookies(app_env, monkeypatch, value: str, secure: bool) -> None:
    from posterbooth import create_app

    monkeypatch.setenv("SECURE_COOKIES", value)
    app = create_app({"TESTING": True})
    try:
        client = app.test_client()
        page = client.get("/c/spring-outing/q/scenery")
        client.post("/c/spring-outing/q/scenery", data={**form_fields(page.get_data(as_text=True)),
                                                        "answer": "lake"})
        session, device = client.get_cookie("pb_session"), client.get_cookie("pb_device")
        assert session is not None and device is not None
        assert session.secure is secure and device.secure is secure
        assert session.http_only and device.http_only
    finally:
        app.extensions["posterbooth.db"].dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_blocklist_file_words_are_refused_in_typed_answers(app_env, monkeypatch, tmp_path: Path) -> None:
    from posterbooth import create_app

    words = tmp_path / "blocklist.txt"
    words.write_text("# a comment line\nforbiddenword\n\n  otherbad  \n", encoding="utf-8")
    monkeypatch.setenv("BLOCKLIST_FILE", str(words))
    app = create_app({"TESTING": True})
    try:
        assert app.extensions["posterbooth.blocklist"] == ["forbiddenword", "otherbad"]
        client = app.test_client()
        answer(client, "dream-weekend", "place", "sea")
        answer(client, "dream-weekend", "time", "morning")
        page = client.get("/c/dream-weekend/q/word").get_data(as_text=True)
        refused = client.post("/c/dream-weekend/q/word", data={**form_fields(page), "answer": "xxForbiddenWordxx"})
        assert refused.status_code == 422
        page = client.get("/c/dream-weekend/q/word").get_data(as_text=True)
        fine = client.post("/c/dream-weekend/q/word", data={**form_fields(page), "answer": "sunny"})
        assert fine.status_code == 302
    finally:
        app.extensions["posterbooth.db"].dispose()
    monkeypatch.setenv("BLOCKLIST_FILE", str(tmp_path / "missing.txt"))
    with pytest.raises(ConfigError, match="BLOCKLIST_FILE .* cannot be read"):
        create_app({"TESTING": True})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_queue_name_names_the_queue_the_web_fills_and_the_worker_empties(app_env, monkeypatch) -> None:
    from rq import SimpleWorker

    from posterbooth import create_app
    from tests.attendee import SPRING, complete

    monkeypatch.setenv("QUEUE_NAME", "event-b")
    app = create_app({"TESTING": True})
    try:
        queue = app.extensions["posterbooth.queue"]
        assert queue.name == "event-b"
        complete(app.test_client(), "spring-outing", SPRING)
        assert queue.count == 1
        from rq import Queue

        assert Queue("posterbooth", connection=queue.connection).count == 0
        SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
        assert queue.count == 0
    finally:
        app.extensions["posterbooth.db"].dispose()
