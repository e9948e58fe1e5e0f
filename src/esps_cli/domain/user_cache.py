"""A small on-disk cache of what is slow to rebuild at every start (the checked framework), in
the user's cache folder, so that a one-file `esps validate` feels instant.

- Where: ESPS_CACHE_DIR if set; else the user's cache folder as platformdirs finds it
  (%LOCALAPPDATA%\\esps-cli\\Cache on Windows, ~/Library/Caches/esps-cli on macOS,
  $XDG_CACHE_HOME/esps-cli, by default ~/.cache/esps-cli, elsewhere). Deleting the folder is
  always safe: it is filled again as needed.
- An entry is a pickle named by a digest of everything it depends on (for the framework: the
  file's bytes, esps-cli's version and code, pydantic's and Python's versions), so a changed
  input is a different entry and never served stale; the key is also stored inside the entry
  and checked on reading.
- A cache that cannot be read or written is never an error, only slower: a missing, damaged,
  foreign or unwritable entry is a miss.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from pathlib import Path

CACHE_ENV = "ESPS_CACHE_DIR"
APP = "esps-cli"
# Entries of one kind kept (the newest): one per framework file in use is plenty.
KEEP = 8


def cache_dir() -> Path:
    """The folder esps-cli keeps its cache in (it may not exist yet)."""
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False)


def _entry(kind: str, key: str) -> Path:
    return cache_dir() / f"{kind}-{key[:40]}.pickle"


def read_entry(kind: str, key: str) -> object | None:
    """The value stored under (kind, key), or None: not there, or unreadable in any way."""
    try:
        with _entry(kind, key).open("rb") as fh:
            stored = pickle.load(fh)
    except Exception:  # unpickling a damaged file can raise almost anything: a miss
        return None
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
        value: object = stored[1]
        return value
    return None


def write_entry(kind: str, key: str, value: object) -> None:
    """Store value under (kind, key) (written whole or not at all), and drop the oldest
    entries of the kind beyond KEEP. Any failure leaves the cache as it was."""
    folder = cache_dir()
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _entry(kind, key))
        tmp = None
        _prune(folder, kind)
    except Exception:  # an unwritable folder, a full disk: only slower next time
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(folder: Path, kind: str) -> None:
    entries = []
    for path in folder.glob(f"{kind}-*.pickle"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime, path))
    for _mtime, path in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            path.unlink()
