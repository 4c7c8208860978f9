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
