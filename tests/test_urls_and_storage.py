"""Pure helpers: public URL building and media storage paths (fast unit tests, no app)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from posterbooth import formats
from posterbooth.storage import KINDS, PERSONAL, MediaStore, is_personal, private_tree, write_atomically
from posterbooth.urls import absolute_url, campaign_url, wall_url

# --- urls ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "slug", "kw", "expected"),
    [
        ("https://e.example.com", "spring-outing", {}, "https://e.example.com/c/spring-outing"),
        ("https://e.example.com/", "spring-outing", {}, "https://e.example.com/c/spring-outing"),
        ("https://e.example.com//", "a", {}, "https://e.example.com/c/a"),
        ("https://e.example.com/sub", "a", {"ref": "abc234"}, "https://e.example.com/sub/c/a?ref=abc234"),
        ("https://e.example.com", "a", {"channel": "booth"}, "https://e.example.com/c/a?ch=booth"),
        ("https://e.example.com", "a", {"ref": "r1", "channel": "b 2"}, "https://e.example.com/c/a?ref=r1&ch=b+2"),
        ("https://e.example.com", "a/b?c", {}, "https://e.example.com/c/a%2Fb%3Fc"),
        ("https://e.example.com", "春游", {"ref": ""}, "https://e.example.com/c/%E6%98%A5%E6%B8%B8"),
        ("https://e.example.com", "a", {"ref": "&x=1"}, "https://e.example.com/c/a?ref=%26x%3D1"),
        ("https://e.example.com/BOX/", "a", {}, "https://e.example.com/BOX/c/a"),  # only slashes are trimmed
    ],
)
def test_campaign_url(base: str, slug: str, kw: dict[str, str], expected: str) -> None:
    assert campaign_url(base, slug, **kw) == expected


def test_absolute_url() -> None:
    assert absolute_url("https://e.example.com/", "/s/tok") == "https://e.example.com/s/tok"
    assert absolute_url("https://e.example.com", "/s/tok") == "https://e.example.com/s/tok"
    assert absolute_url("http://127.0.0.1:5000///", "/") == "http://127.0.0.1:5000/"
    assert absolute_url("https://e.example.com/XX/", "/s") == "https://e.example.com/XX/s"


def test_wall_url() -> None:
    assert wall_url("https://e.example.com/", "spring", "k1") == "https://e.example.com/wall/spring?key=k1"
    assert wall_url("https://e.example.com/sub//", "a/b", "x&y=1") == "https://e.example.com/sub/wall/a%2Fb?key=x%26y%3D1"


# --- storage paths ------------------------------------------------------------------------------------


def test_saved_names_are_random_well_formed_and_private(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    names = {store.save("posters", b"x", ".jpg") for _ in range(20)}
    assert len(names) == 20
    for relative in names:
        kind, prefix, name = relative.split("/")
        assert kind == "posters" and name.startswith(prefix) and len(prefix) == 2 and name.endswith(".jpg")
        assert len(name) == 24 + len(".jpg") and "." not in name.removesuffix(".jpg")
        assert formats.is_media_path(relative)
        assert not is_personal(relative)
        assert store.path(relative) == (tmp_path / "media" / relative).resolve()
        assert stat.S_IMODE((tmp_path / "media" / relative).stat().st_mode) == 0o600


def test_personal_names_are_marked(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    relative = store.save("images", b"x", "png", personal=True)
    assert relative.endswith(PERSONAL + ".png") and is_personal(relative)
    assert is_personal("cards/ab/abcdefgh.p-thumb.jpg")
    assert not is_personal("cards/ab/abcdefgh-thumb.jpg") and not is_personal("cards/ab/abcdefgh.png")
    assert not is_personal("a.p/ab/abcdefgh.png")  # only the file name counts
    assert not is_personal("x.p.y/ab/abcdefgh.png") and not is_personal("x.p-y/ab/abcdefgh.png")
    assert not is_personal("media/x.p.y/ab/abcdefgh.png") and not is_personal("media/x.p-y/ab/abcdefgh.png")
    assert is_personal("abcdefgh.p.png") and is_personal("abcdefgh.p-thumb.jpg")  # a bare file name


def test_unknown_kinds_are_refused(tmp_path: Path) -> None:
    assert KINDS == ("images", "posters", "cards", "uploads")
    with pytest.raises(ValueError, match="unknown media kind 'secrets'"):
        MediaStore(tmp_path).save("secrets", b"x", "jpg")
    assert not (tmp_path / "secrets").exists()


def test_path_refuses_empty_missing_folders_and_escapes(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = MediaStore(root)
    relative = store.save("images", b"data", "jpg")
    (tmp_path / "outside.jpg").write_bytes(b"secret")
    assert store.path("") is None
    assert store.path("images/zz/missing.jpg") is None
    assert store.path("images") is None  # a folder, not a file
    assert store.path("../outside.jpg") is None
    assert store.path(str(tmp_path / "outside.jpg")) is None
    assert store.path(relative) is not None


def test_delete_removes_the_file_and_its_thumbnail_only(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    relative = store.save("posters", b"p", "jpg")
    other = store.save("posters", b"q", "jpg")
    path = tmp_path / relative
    thumb = path.with_name(path.stem + "-thumb.jpg")
    thumb.write_bytes(b"t")
    assert store.delete(relative) is True
    assert not path.exists() and not thumb.exists() and (tmp_path / other).exists()
    assert store.delete(relative) is False
    assert store.delete("") is False
    assert store.delete(other) is True and not (tmp_path / other).exists()  # one without a thumbnail


def test_write_atomically_replaces_and_leaves_no_temporary_file(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.bin"
    renames: list[tuple[str, str]] = []
    replace = os.replace

    def watched(src: str, dst: str) -> None:
        renames.append((str(src), str(dst)))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", watched)
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]
    for src, dst in renames:  # a hidden temporary file beside the target: the rename stays on one disk
        assert Path(src).parent == tmp_path and Path(src).name.startswith(".tmp-") and dst == str(target)
    assert len(renames) == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_write_atomically_cleans_up_after_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(tmp_path / "file.bin", b"x")
    assert list(tmp_path.iterdir()) == []


def test_private_tree_makes_only_the_missing_folders_private(tmp_path: Path) -> None:
    root = tmp_path / "data" / "media"  # the root's own parent is missing too
    folder = root / "a" / "b" / "c"
    private_tree(root, folder)
    for path in (root, root / "a", root / "a" / "b", folder):
        assert path.is_dir() and stat.S_IMODE(path.stat().st_mode) == 0o700, path
    shared = root / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)  # noqa: S103 - a folder made by someone else, on purpose
    private_tree(root, shared / "x")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # an existing folder is left as it is
    assert stat.S_IMODE((shared / "x").stat().st_mode) == 0o700
    private_tree(root, tmp_path / "elsewhere" / "y")  # outside the root: nothing is made
    assert not (tmp_path / "elsewhere").exists()


def test_a_failure_just_after_the_rename_is_raised_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replace = os.replace

    def interrupted(src: str, dst: str) -> None:
        replace(src, dst)
        raise OSError("interrupted after the rename")

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(OSError, match="interrupted after the rename"):
        write_atomically(tmp_path / "file.bin", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_saving_into_a_folder_another_worker_makes_at_the_same_moment(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "media"
    folder = root / "posters" / "ab"
    exists = Path.exists

    def racing(path: Path) -> bool:
        seen = exists(path)
        if path == folder and not seen:
            os.makedirs(folder, mode=0o700)  # another worker makes it right after this one looked
        return seen

    monkeypatch.setattr(Path, "exists", racing)
    private_tree(root, folder)
    assert folder.is_dir()


def test_deleting_a_file_another_worker_deletes_at_the_same_moment(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = MediaStore(tmp_path)
    relative = store.save("posters", b"p", "jpg")
    found = MediaStore.path

    def racing(self: MediaStore, name: str) -> Path | None:
        path = found(self, name)
        if path is not None:
            path.unlink()  # another worker deletes it right after this one found it
        return path

    monkeypatch.setattr(MediaStore, "path", racing)
    assert store.delete(relative) is True
