"""Images drawn on request (QR codes, icons), drawn once: kept in memory and on disk under the media folder."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from posterbooth.storage import write_atomically

#: Bump when the drawing code changes, so that no stale image is served from disk.
VERSION = "1"
#: Images kept in each process's memory (QR codes are a few kilobytes).
MEMORY_ITEMS = 256


@dataclass(frozen=True)
class CachedImage:
    """Bytes of a drawn image and their strong ETag."""

    data: bytes
    etag: str


class ImageCache:
    """Find a drawn image by its key in memory, then on disk; draw it only when it is in neither."""

    def __init__(self, root: Path) -> None:
        self.root = root / "cache"
        self._memory: OrderedDict[str, CachedImage] = OrderedDict()
        self._lock = threading.Lock()

    def _name(self, key: str, suffix: str) -> str:
        return hashlib.sha256(f"{VERSION}\0{key}".encode()).hexdigest()[:40] + suffix

    def _path(self, name: str) -> Path:
        return self.root / name[:2] / name

    def _remember(self, name: str, image: CachedImage) -> CachedImage:
        with self._lock:
            self._memory[name] = image
            self._memory.move_to_end(name)
            while len(self._memory) > MEMORY_ITEMS:
                self._memory.popitem(last=False)
        return image

    def cached(self, key: str, suffix: str) -> CachedImage | None:
        """Return the image if it was drawn before (in this process or on disk), without drawing it."""
        name = self._name(key, suffix)
        with self._lock:
            image = self._memory.get(name)
        if image is not None:
            return image
        try:
            data = self._path(name).read_bytes()
        except OSError:
            return None
        return self._remember(name, CachedImage(data, name))

    def get(self, key: str, suffix: str, draw: Callable[[], bytes]) -> CachedImage:
        """Return the cached image for the key, drawing and storing it on first use."""
        image = self.cached(key, suffix)
        if image is not None:
            return image
        name = self._name(key, suffix)
        data = draw()
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)
        return self._remember(name, CachedImage(data, name))
