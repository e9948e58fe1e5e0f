"""Writing files safely: predictable names that stay inside the output folder, atomic writes,
no silent overwrites, and cell text that spreadsheets will not run as a formula."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar, overload

from esps_cli.errors import ConfigError, OutputExistsError

_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 forbids most control characters; openpyxl refuses them too.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# C0 and C1 control characters other than tab and line breaks: in free text they can only be
# terminal escape sequences or damage, never content.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def utf8_safe(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_name(text: str) -> str:
    """A file name as people and JSON can take it: bytes that are not UTF-8 (kept by Python
    as surrogates) are shown as \ufffd instead of breaking the report."""
    if utf8_safe(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def slug(text: str, max_len: int = 60) -> str:
    """A file-name-safe version of free text: ASCII letters, digits and single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")
    return out[:max_len].rstrip("-")


def safe_filename(*parts: str, suffix: str = ".xlsx") -> str:
    """Join slugged parts with '_' into a name that is safe on Windows, macOS and Linux."""
    pieces = [slug(p) for p in parts]
    stem = "_".join(p for p in pieces if p) or "unnamed"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem += "_"
    return stem + suffix


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing any name that would land outside folder."""
    folder = folder.resolve()
    target = (folder / name).resolve()
    if target.parent != folder:
        raise ConfigError(f"refusing to write {name!r}: it would land outside {folder}")
    return target


MAX_CELL_CHARS = 32_767  # Excel's limit for a cell's text (and a comment's)


def strip_control(text: str) -> str:
    """Remove the control characters XML and HTML do not allow (a NUL, a terminal escape)."""
    return _ILLEGAL_XML.sub("", text)


def clean_text(text: str) -> str:
    """Remove characters that cannot be stored in an .xlsx cell, and cut a text longer than a
    cell may hold (Excel would refuse to open the file) with an ellipsis."""
    text = strip_control(text)
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS - 1] + "…"
    return text


_Value = TypeVar("_Value")


@overload
def escape_formula(value: str) -> str: ...
@overload
def escape_formula(value: _Value) -> _Value: ...
def escape_formula(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe-like guard.

    A leading single quote is what Excel users type to force text; it shows as the text itself
    in CSV viewers and stops =HYPERLINK(...) style injection.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


SQLITE_MAGIC = b"SQLite format 3\x00"


def check_can_write(path: Path, force: bool) -> None:
    """An output may replace an existing file only with force, and never a database: an
    output named like the register (`--output esps.db --force`) must not wipe the scores."""
    if not path.exists():
        return
    if path.is_dir():
        raise ConfigError(f"cannot write {path}: it is a folder; give a file name")
    try:
        with path.open("rb") as fh:
            is_database = fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        is_database = False
    if is_database:
        raise ConfigError(
            f"refusing to write {path}: it is a database (an esps register?), and replacing it "
            "would lose what it holds; choose another output name"
        )
    if not force:
        raise OutputExistsError(f"{path} already exists; use --force to replace it")


def atomic_write(
    path: Path,
    write: Callable[[IO[bytes]], object],  # what it returns (a byte count, say) is ignored
    *,
    force: bool = False,
    keep_backup: bool = False,
) -> Path | None:
    """Write path through a temporary file in the same folder, then rename it into place.

    Refuses to replace an existing file unless force. With keep_backup the file being replaced
    is kept beside it as NAME.bak (or NAME.bak2, ...); its path is returned. The folder must
    exist: a mistyped output folder is reported, not created. The new file gets the mode of the
    file it replaces, or the user's umask, as any program's output would (not mkstemp's 0600).
    """
    check_can_write(path, force)
    if not path.parent.is_dir():
        raise ConfigError(
            f"cannot write {path}: the folder {path.parent} does not exist; create it first "
            "or choose another output path"
        )
    mode = _mode_for(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    tmp = Path(tmp_name)
    backup: Path | None = None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if keep_backup and path.exists():
            backup = _free_backup_name(path)
            shutil.copy2(path, backup)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_error(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return backup


def ensure_folder(folder: Path) -> Path:
    """Create an output folder (and its parents) for a command that writes many files into it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"cannot write into {folder}: it exists and is not a folder") from None
    except OSError as exc:
        raise write_error(folder, exc) from None
    return folder


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) for a short critical section, then deliver it after.

    Only the main thread can set signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []
    previous = signal.signal(signal.SIGINT, lambda sig, frame: caught.append((sig, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


def distinct_names(names: dict[str, str]) -> dict[str, str]:
    """File names made distinct: names are slugs, so keys such as B.C, B-C and B_C (or long
    ones cut to the same length) can share one; those get a short, stable tag from their exact
    key so that no file overwrites another. Compared case-insensitively (Windows, macOS)."""
    out = dict(names)
    seen: dict[str, list[str]] = {}
    for key, name in names.items():
        seen.setdefault(name.casefold(), []).append(key)
    for keys in seen.values():
        if len(keys) > 1:
            for key in keys:
                tag = hashlib.sha256(key.encode("utf-8")).hexdigest()[:6]
                stem, dot, suffix = names[key].rpartition(".")
                out[key] = f"{stem}~{tag}{dot}{suffix}"
    return out


STAGING_PREFIX = ".esps-staging-"


def _remove_abandoned_staging(folder: Path) -> None:
    """Staging folders left by a run that was killed (kill -9, out of memory): their process
    (whose id the name carries) is gone. Another run's, still going, is left alone. (Not on
    Windows, where os.kill(pid, 0) would end the process.)"""
    if os.name == "nt":
        return
    try:
        found = [p for p in folder.iterdir() if p.name.startswith(STAGING_PREFIX)]
    except OSError:
        return
    for staging in found:
        pid = staging.name[len(STAGING_PREFIX):].partition("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: it exists
    return True


class StagedOutputs:
    """Files written into a hidden staging folder inside out_dir and moved into place together
    at the end, so an interrupted or failed command leaves out_dir as it was.

        with StagedOutputs(out_dir, force=force) as staged:
            for name, data in ...:
                write(staged.path(name))
        # here every file is in out_dir

    Existing files are refused (unless force) before anything is written.
    """

    def __init__(self, out_dir: Path, names: list[str], *, force: bool = False,
                 what: str = "file"):
        self.out_dir = ensure_folder(out_dir)
        self.targets = [inside(self.out_dir, n) for n in names]
        existing = [p for p in self.targets if p.exists()]
        if existing and not force:
            shown = ", ".join(p.name for p in existing[:5])
            more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
            raise OutputExistsError(
                f"{len(existing)} {what}(s) already exist in {out_dir}: {shown}{more}. "
                "Nothing was written; use --force to replace them."
            )
        for target in existing:
            check_can_write(target, force)
        self.staging: Path | None = None

    def __enter__(self) -> StagedOutputs:
        _remove_abandoned_staging(self.out_dir)
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-",
                                                 dir=self.out_dir.resolve()))
        except OSError as exc:
            raise write_error(self.out_dir, exc) from None
        return self

    def path(self, name: str) -> Path:
        assert self.staging is not None
        return self.staging / name

    def __exit__(self, exc_type: object, *_: object) -> None:
        assert self.staging is not None
        try:
            if exc_type is None:
                self._move_into_place()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def _move_into_place(self) -> None:
        """Renames in one folder are atomic and take milliseconds for thousands of files;
        Ctrl-C is held back meanwhile so they finish together."""
        assert self.staging is not None
        mode = 0o666 & ~current_umask()
        with deferred_interrupt():
            try:
                for target in self.targets:
                    staged = self.staging / target.name
                    if not staged.exists():
                        continue  # its writer failed and said so; nothing to move
                    os.chmod(staged, _existing_mode(target, mode))
                    os.replace(staged, target)
            except OSError as exc:
                raise write_error(self.out_dir, exc) from None


def _existing_mode(path: Path, default: int) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return default


def current_umask() -> int:
    """The process umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def write_error(path: Path, exc: OSError) -> ConfigError:
    """A clear message for an operating-system error while writing path (exit code 2)."""
    reasons = {
        errno.ENOSPC: "the disk is full; free some space and run the command again",
        errno.EDQUOT: "the disk quota is used up; free some space and run the command again",
        errno.EACCES: "permission denied; choose a folder you can write to",
        errno.EPERM: "permission denied; choose a folder you can write to",
        errno.EROFS: "the file system is read-only; choose another folder",
        errno.ENAMETOOLONG: "the file name is too long; choose a shorter output path",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return ConfigError(f"cannot write {path}: {reason}. Nothing was changed.")


def check_not_input(path: Path, inputs: list[Path], what: str = "an input") -> None:
    """Refuse an output path that is one of the command's inputs (a return, the register)."""
    try:
        target = path.resolve()
    except OSError:
        return
    for source in inputs:
        try:
            same = source.exists() and target.exists() and os.path.samefile(source, target)
        except OSError:
            same = False
        if same or target == source.resolve():
            raise ConfigError(
                f"refusing to write {path}: it is {what} of this command ({source}); "
                "choose another output path"
            )


def atomic_write_bytes(path: Path, data: bytes, *, force: bool = False) -> None:
    atomic_write(path, lambda fh: fh.write(data), force=force)


def atomic_write_text(path: Path, text: str, *, force: bool = False) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), force=force)


def _free_backup_name(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak{n}")
        n += 1
    return candidate


def shown_path(path: str | Path, folder: Path | None = None) -> str:
    """A path as a report shows it: relative to `folder` (the working folder; default the
    current one) when it is inside it, so a printed report does not show the layout of the
    analyst's machine; otherwise as given."""
    if not str(path):
        return ""
    try:
        base = (folder or Path.cwd()).resolve()
        return Path(path).resolve().relative_to(base).as_posix()
    except (OSError, ValueError, RuntimeError):
        return str(path)
