"""Hardening: the secret key file, private folders and files, the trusted host, localized error pages."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from posterbooth.config import ConfigError, load_settings


def _key_of(instance: str) -> str:
    return load_settings({"INSTANCE_DIR": instance}).SECRET_KEY


def test_generated_secret_key_is_private_and_the_same_for_processes_starting_together(tmp_path: Path) -> None:
    for trial in range(3):
        instance = str(tmp_path / f"i{trial}")
        with multiprocessing.get_context("spawn").Pool(4) as pool:
            keys = pool.map(_key_of, [instance] * 4)
        assert len(set(keys)) == 1 and len(keys[0]) >= 32
        path = Path(instance) / "secret_key"
        assert path.read_text() == keys[0]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(Path(instance).stat().st_mode) == 0o700


def test_short_or_empty_secret_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY.*too short"):
        load_settings({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "short"})
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ConfigError, match="too short"):
        load_settings({"INSTANCE_DIR": str(tmp_path)})
    (tmp_path / "secret_key").write_text("k" * 40)
    assert load_settings({"INSTANCE_DIR": str(tmp_path)}).SECRET_KEY == "k" * 40


def test_database_and_media_are_private(tmp_path: Path) -> None:
    from posterbooth.db import Database
    from posterbooth.migrate import upgrade
    from posterbooth.storage import MediaStore

    url = f"sqlite:///{tmp_path / 'instance' / 'posterbooth.db'}"
    upgrade(url)
    Database(url).dispose()
    assert stat.S_IMODE((tmp_path / "instance").stat().st_mode) == 0o700
    for name in ("posterbooth.db",):
        assert stat.S_IMODE((tmp_path / "instance" / name).stat().st_mode) == 0o600
    store = MediaStore(tmp_path / "media")
    relative = store.save("posters", b"x", "jpg")
    assert stat.S_IMODE((tmp_path / "media" / relative).stat().st_mode) == 0o600
    folder = tmp_path / "media"
    for part in Path(relative).parts[:-1]:
        folder = folder / part
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((tmp_path / "media").stat().st_mode) == 0o700


def test_scaled_mode_does_not_start_without_a_public_base_url(app_env, monkeypatch) -> None:
    from posterbooth import create_app

    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL is not set"):
        create_app({"TESTING": True})


@pytest.mark.parametrize("host", ["evil.example", "event.example.com.evil.net", "x@evil.example"])
def test_requests_for_another_host_are_refused(client, host: str) -> None:
    response = client.get("/c/spring-outing", headers={"Host": host})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert client.get("/c/spring-outing", headers={"Host": "event.example.com"}).status_code == 200
    assert client.get("/c/spring-outing", headers={"Host": "localhost:5000"}).status_code == 200


def test_the_request_host_never_reaches_links_or_the_database(app, client, run_worker) -> None:
    from sqlalchemy import select

    from posterbooth.models import Participation
    from tests.attendee import SPRING, complete

    qr = client.get("/c/spring-outing/qr.svg", headers={"Host": "localhost"})
    assert qr.status_code == 200
    result = complete(client, "spring-outing", SPRING)
    with app.extensions["posterbooth.db"].session() as session:
        stored = session.scalars(select(Participation)).one()
    assert stored.base_url == ""
    run_worker()
    page = client.get(result, headers={"Host": "127.0.0.1"}, follow_redirects=True).get_data(as_text=True)
    assert "https://event.example.com/s/" in page and "127.0.0.1" not in page and "localhost" not in page


def test_the_embedded_demo_links_to_the_address_it_serves_on() -> None:
    from app import serving_url

    assert serving_url("127.0.0.1", 5161) == "http://127.0.0.1:5161"
    lan = serving_url("0.0.0.0", 5162)  # noqa: S104
    assert lan.startswith("http://") and lan.endswith(":5162") and "0.0.0.0" not in lan


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("method", "url", "status", "english", "chinese"), [
    ("get", "/c/dream-weekend/no-such-page", 404, "Page not found", "页面不存在"),
    ("get", "/c/spring-outing/no-such-page", 404, "页面不存在", "Page not found"),
    ("post", "/c/dream-weekend/q/place", 400, "This page has expired", "页面已过期"),
    ("post", "/c/dream-weekend/style", 413, "File too large", "文件太大"),
])
def test_error_pages_speak_the_campaigns_language(client, method, url, status, english, chinese) -> None:
    kwargs = {"data": {"x": "a" * (3 << 20)}} if status == 413 else {}
    other = "en" if english == "页面不存在" else "zh-CN"  # the browser asks for the other language
    response = getattr(client, method)(url, headers={"Accept-Language": other}, **kwargs)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert english in body and chinese not in body
