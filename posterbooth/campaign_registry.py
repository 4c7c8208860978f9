"""The live campaigns: a mapping of slug to campaign that follows the campaigns folder without a restart.

Each process (web or worker) holds one :class:`CampaignRegistry`. It has no thread of its own: whenever it
is read and :attr:`~CampaignRegistry.interval` seconds have passed since it last looked, the reading thread
looks again (the web app's requests, and in workers the jobs and the clock, read it). Looking is cheap: the
files' sizes and modification times; only a folder whose files changed is hashed and loaded again.

* A campaign's **version** is the hash of its folder's content (campaign.yaml and the asset files).
* A valid change replaces the campaign (a new :class:`LoadedCampaign`, so caches keyed by it follow).
* A broken change never takes a campaign down: the last good version stays live, and the error is kept
  (:meth:`~CampaignRegistry.problems`, shown on the console) and logged at ERROR once per broken content.
* A new folder is loaded; a removed folder's campaign is gone (its pages answer 404).
* Earlier versions, for participations that started before a change, are rebuilt from their stored
  campaign.yaml (:meth:`~CampaignRegistry.for_version`) and a few are kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from posterbooth.campaigns import (
    DEFINITION_FILE,
    CampaignError,
    LoadedCampaign,
    campaign_folders,
    load_campaign,
    read_definition,
    restore_campaign,
)

log = logging.getLogger(__name__)

#: Seconds between two looks at the campaigns folder (at most; only when the registry is read).
DEFAULT_INTERVAL = 2.0
#: Earlier campaign versions kept in memory per process.
KEPT_VERSIONS = 8
#: Hex digits of the content hash kept as the version.
VERSION_LENGTH = 16

#: (relative path, size, modification time in ns) of every file in a folder.
Stamp = tuple[tuple[str, int, int], ...]


def _files(folder: Path) -> list[Path]:
    """Return the folder's files that make up the campaign: not hidden, not editors' backups."""
    found: list[Path] = []
    for directory, subdirs, names in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        found.extend(Path(directory) / n for n in sorted(names) if not n.startswith(".") and not n.endswith("~"))
    return found


def folder_stamp(folder: Path) -> Stamp:
    """Return the sizes and modification times of the folder's files (what is compared every look)."""
    stamp = []
    for path in _files(folder):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while looking: the next look sees it
        stamp.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(stamp)


def folder_version(folder: Path) -> tuple[str, bytes]:
    """Return the content hash of the folder (campaign.yaml and assets) and the campaign.yaml bytes hashed."""
    digest = hashlib.sha256()
    if not (folder / DEFINITION_FILE).is_file():
        raise CampaignError(folder / DEFINITION_FILE, "", "missing: every campaign folder needs one")
    definition = read_definition(folder / DEFINITION_FILE)
    for path in _files(folder):
        relative = path.relative_to(folder).as_posix()
        try:
            data = definition if relative == DEFINITION_FILE else path.read_bytes()
        except OSError:
            continue
        digest.update(f"{relative}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:VERSION_LENGTH], definition


class CampaignRegistry(Mapping[str, LoadedCampaign]):
    """The campaigns by slug, looked at again at most every ``interval`` seconds when read."""

    def __init__(self, root: Path, interval: float = DEFAULT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Load every campaign under root; raise CampaignError on the first mistake (as at start-up)."""
        self.root = root
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._campaigns: dict[str, LoadedCampaign] = {}
        self._stamps: dict[str, Stamp] = {}
        self._problems: dict[str, CampaignError] = {}
        #: slug → content hash of the broken content last logged (logged once, not at every look).
        self._logged: dict[str, str] = {}
        self._earlier: OrderedDict[tuple[str, str], LoadedCampaign] = OrderedDict()
        self._lock_earlier = threading.Lock()
        for folder in campaign_folders(root):
            stamp = folder_stamp(folder)
            loaded = self._load(folder)
            self._campaigns[loaded.slug] = loaded
            self._stamps[folder.name] = stamp
        self._next_look = clock() + interval

    # --- the mapping ---------------------------------------------------------------------------------

    def _current(self) -> dict[str, LoadedCampaign]:
        if self.interval > 0 and self._clock() >= self._next_look:
            self.refresh()
        return self._campaigns

    def __getitem__(self, slug: str) -> LoadedCampaign:
        """Return the live campaign with this slug."""
        return self._current()[slug]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the live campaigns' slugs."""
        return iter(self._current())

    def __len__(self) -> int:
        """Return the number of live campaigns."""
        return len(self._current())

    # --- looking again -------------------------------------------------------------------------------

    def problems(self) -> dict[str, CampaignError]:
        """Return the error of each campaign folder whose latest content does not load, by folder name."""
        self._current()
        return dict(self._problems)

    def refresh(self) -> bool:
        """Look at the campaigns folder now and load what changed; return True when a live campaign changed.

        A thread that finds another one looking does not wait: it reads the campaigns as they are.
        """
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._next_look = self._clock() + self.interval
            return self._look()
        finally:
            self._lock.release()

    def _look(self) -> bool:
        try:
            folders = {folder.name: folder for folder in campaign_folders(self.root)}
        except (CampaignError, OSError) as exc:
            self._report("", str(exc), CampaignError(self.root, "", str(exc)))
            return False  # a missing folder (being moved?) takes nothing down
        self._problems.pop("", None)
        self._logged.pop("", None)
        campaigns = dict(self._campaigns)
        changed = False
        for name in [n for n in self._stamps if n not in folders]:
            self._stamps.pop(name)
            self._problems.pop(name, None)
            self._logged.pop(name, None)
            if campaigns.pop(name, None) is not None:
                log.warning("campaign %s removed: its folder is gone", name)
                changed = True
        for name, folder in folders.items():
            stamp = folder_stamp(folder)
            if self._stamps.get(name) == stamp:
                continue
            self._stamps[name] = stamp
            loaded = self._reload(folder, campaigns.get(name))
            if loaded is not None:
                campaigns[name] = loaded
                changed = True
        if changed:
            self._campaigns = campaigns  # one assignment: readers see the old mapping or the new one
        return changed

    def _load(self, folder: Path) -> LoadedCampaign:
        version, definition = folder_version(folder)
        return load_campaign(folder, definition, version)

    def _reload(self, folder: Path, live: LoadedCampaign | None) -> LoadedCampaign | None:
        """Return the folder's campaign when its content changed and loads; None to keep what is live."""
        name = folder.name
        try:
            version, definition = folder_version(folder)
        except CampaignError as exc:
            self._report(name, f"unreadable:{exc}", exc)
            return None
        if live is not None and live.version == version:
            self._problems.pop(name, None)  # touched, or changed back to what is live
            self._logged.pop(name, None)
            return None
        if self._logged.get(name) == version:
            return None  # the same broken content, already reported
        try:
            loaded = load_campaign(folder, definition, version)
        except CampaignError as exc:
            self._report(name, version, exc, live)
            return None
        self._problems.pop(name, None)
        self._logged.pop(name, None)
        if live is None:
            log.info("campaign %s loaded (version %s)", loaded.slug, version)
        else:
            log.info("campaign %s reloaded: version %s replaces %s", loaded.slug, version, live.version)
        return loaded

    def _report(self, name: str, content: str, exc: CampaignError, live: LoadedCampaign | None = None) -> None:
        self._problems[name] = exc
        if self._logged.get(name) == content:
            return
        self._logged[name] = content
        if live is not None:
            log.error("campaign %s: the change was not loaded, version %s stays live: %s", name, live.version, exc)
        else:
            log.error("campaign %s does not load: %s", name or "folder", exc)

    # --- earlier versions ----------------------------------------------------------------------------

    def for_version(self, slug: str, version: str, stored: Callable[[], str | None]) -> LoadedCampaign | None:
        """Return the campaign as it was at ``version`` (its campaign.yaml from ``stored()``), or the live one
        when the version is live, unknown or cannot be rebuilt; None when the campaign is gone."""
        live = self.get(slug)
        if live is None or not version or live.version == version:
            return live
        key = (slug, version)
        with self._lock_earlier:
            earlier = self._earlier.get(key)
            if earlier is not None:
                self._earlier.move_to_end(key)
                return earlier
        source = stored()
        if source is None:
            log.warning("campaign %s: version %s is not stored; using the live version %s", slug, version,
                        live.version)
            return live
        try:
            earlier = restore_campaign(live.folder, source, version)
        except CampaignError as exc:
            log.warning("campaign %s: version %s cannot be rebuilt (%s); using the live version", slug, version, exc)
            return live
        with self._lock_earlier:
            self._earlier[key] = earlier
            while len(self._earlier) > KEPT_VERSIONS:
                self._earlier.popitem(last=False)
        return earlier
