"""Media storage: generated images, posters and share cards on disk, under random names."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

KINDS = ("images", "posters", "cards", "uploads")
#: Marks the name of an image made from an attendee's photo (no random name contains a dot).
PERSONAL = ".p"


def is_personal(relative: str) -> bool:
    """Tell whether a stored image was made from an attendee's photo (and is deleted with it)."""
    return PERSONAL + "." in relative.rsplit("/", 1)[-1] or PERSONAL + "-" in relative.rsplit("/", 1)[-1]


def write_atomically(target: Path, data: bytes) -> None:
    """Write the bytes to a temporary file beside the target (mode 0600), then rename it into place."""
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def private_tree(root: Path, folder: Path) -> None:
    """Create ``folder`` and every missing folder between it and ``root`` with mode 0700."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    missing = []
    current = folder
    while current != root and not current.exists() and root in current.parents:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


class MediaStore:
    """Save and find media files below one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, kind: str, data: bytes, extension: str, *, personal: bool = False) -> str:
        """Write the bytes atomically under a new random name; return the path relative to the root.

        ``personal`` marks an image made from an attendee's photo (its name carries :data:`PERSONAL`): it is
        deleted with the photo, so it is never cached as immutable.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown media kind {kind!r}")
        name = secrets.token_urlsafe(18) + (PERSONAL if personal else "")
        relative = f"{kind}/{name[:2]}/{name}.{extension.lstrip('.')}"
        target = self.root / relative
        private_tree(self.root, target.parent)
        write_atomically(target, data)
        return relative

    def path(self, relative: str) -> Path | None:
        """Return the absolute path of a stored file, or None if it is outside the root or missing."""
        if not relative:
            return None
        candidate = (self.root / relative).resolve()
        if self.root.resolve() not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def delete(self, relative: str) -> bool:
        """Delete a stored file (and the share thumbnail made from it); return True if it existed."""
        path = self.path(relative)
        if path is None:
            return False
        path.with_name(path.stem + "-thumb.jpg").unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        return True
