"""Batches of files: finding them in folders and globs, and working through them in parallel.

Generic (no ESPS knowledge), so every command that reads many workbooks can use it:

- `discover` turns files, folders (optionally recursive) and glob patterns into a sorted list of
  spreadsheet files, and lists what it skipped: Excel and LibreOffice lock files, and files
  that are not spreadsheets.
- `parallel_map` applies a function to many items over processes (serially for small batches),
  in order, with a progress callback; an item whose work raises, or whose worker process dies,
  becomes the result of an `on_error` callback instead of stopping the batch.
"""

from __future__ import annotations

import gc
import glob
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

from esps_cli.errors import ConfigError, describe, must_propagate
from esps_cli.io.collector import collector_paused
from esps_cli.io.safety import display_name

if TYPE_CHECKING:  # the process pool is imported only when a batch uses one (start-up time)
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")
# One item's outcome in a worker: (True, its result) or (False, what went wrong).
_Outcome: TypeAlias = tuple[Literal[True], R] | tuple[Literal[False], str]

# What a folder scan picks up. Legacy and other spreadsheet formats are included so that a
# unit that saved as .xls or .ods hears why the file cannot be read, rather than nothing.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
GLOB_CHARS = frozenset("*?[")
# Below this many items, starting processes costs more than it saves.
MIN_PARALLEL = 8


@dataclass(frozen=True)
class FoundFile:
    path: Path
    name: str  # how to name it in reports: the file name, or its path below the folder given


@dataclass(frozen=True)
class Skipped:
    path: Path
    kind: Literal["lock", "ignored", "unreadable"]
    reason: str


@dataclass
class Discovered:
    files: list[FoundFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Without recursive: the subfolders holding spreadsheet files that were not read, and how
    # many each holds (a returns/late/ folder the user may have forgotten).
    unread: list[tuple[Path, int]] = field(default_factory=list)


def spreadsheets_below(folder: Path, suffixes: Sequence[str] = SPREADSHEET_SUFFIXES) -> int:
    """How many spreadsheet files a folder and its subfolders hold (hidden ones left out)."""
    count = 0
    for _root, dirs, files in os.walk(folder, onerror=lambda _err: None):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        count += sum(1 for f in files if ignore_reason(f, suffixes) is None
                     and lock_file_reason(f) is None)
    return count


def lock_file_reason(name: str) -> str | None:
    """Why a file name is an office lock file (a sign the workbook is open), or None."""
    if name.startswith("~$"):
        return "Excel lock file (the workbook is open in Excel)"
    if name.startswith(".~lock.") and name.endswith("#"):
        return "LibreOffice lock file (the workbook is open in LibreOffice)"
    return None


def ignore_reason(name: str, suffixes: Sequence[str]) -> str | None:
    """Why a file found in a folder is not one to read, or None."""
    if name.startswith("._"):
        return "macOS metadata file (not a workbook)"
    if name.startswith("."):
        return "hidden file"
    if not name.lower().endswith(tuple(suffixes)):
        suffix = Path(name).suffix or "(no extension)"
        return f"not a spreadsheet file ({suffix})"
    return None


def _within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except (ValueError, OSError):
        return False
    return True


def _is_file(entry: os.DirEntry[str]) -> bool:
    """A folder entry that is a file, or a link to one (as Path.is_file), from the listing
    itself, without a system call per file."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _told_apart(files: list[FoundFile]) -> list[FoundFile]:
    """Two files with one display name (from different folders) are told apart by path."""
    names: dict[str, int] = {}
    for f in files:
        names[f.name] = names.get(f.name, 0) + 1
    return [f if names[f.name] == 1 else FoundFile(f.path, display_name(str(f.path)))
            for f in files]


def _unread_subfolders(listed: list[os.DirEntry[str]], suffixes: Sequence[str],
                       excluded: set[Path]) -> list[tuple[Path, int]]:
    """The subfolders of a folder read without recursive that hold spreadsheet files."""
    out = []
    for sub in sorted((e for e in listed if not e.name.startswith(".") and _is_dir(e)),
                      key=lambda e: e.name):
        held = spreadsheets_below(Path(sub.path), suffixes)
        if held and Path(sub.path).resolve() not in excluded:
            out.append((Path(sub.path), held))
    return out


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _sort_key(path: Path) -> tuple[str, str]:
    return (str(path).casefold(), str(path))


def discover(
    paths: Iterable[Path | str],
    *,
    recursive: bool = False,
    suffixes: Sequence[str] = SPREADSHEET_SUFFIXES,
    exclude: Iterable[Path] | None = None,
) -> Discovered:
    """The files to read, in sorted order, and the files skipped.

    A file named directly is always read (unless it is a lock file), whatever its extension:
    the reader says why a wrong file cannot be read. A folder contributes its spreadsheet files
    (and with recursive, those of its subfolders, except hidden ones); other files are listed
    as ignored. A pattern with * ? or [ that is not an existing path is expanded as a glob.
    Raises ConfigError naming every path that does not exist.
    """
    excluded = {p.resolve() for p in (exclude or [])}
    found: dict[Path, FoundFile] = {}
    skipped: dict[Path, Skipped] = {}
    missing: list[str] = []
    unread: list[tuple[Path, int]] = []

    def add_file(path: Path, name: str, explicit: bool, resolved: Path | None = None) -> None:
        resolved = resolved or path.resolve()
        if resolved in excluded or resolved in found or resolved in skipped:
            return
        lock = lock_file_reason(path.name)
        if lock:
            skipped[resolved] = Skipped(path, "lock", lock)
            return
        reason = None if explicit else ignore_reason(path.name, suffixes)
        if reason:
            skipped[resolved] = Skipped(path, "ignored", reason)
            return
        found[resolved] = FoundFile(path, display_name(name))

    def add_folder(folder: Path) -> None:
        root_dir = folder.resolve()

        def unreadable(err: OSError) -> None:
            where = Path(err.filename) if err.filename else folder
            skipped[where.resolve()] = Skipped(
                where, "unreadable", f"folder cannot be read ({err.strerror}); its files were "
                "not checked")

        def add_listed(p: Path, name: str, resolved: Path | None = None) -> None:
            if resolved is None and p.is_symlink() and not _within(p, root_dir):
                skipped[p.resolve()] = Skipped(
                    p, "ignored", "a link to a file outside the folder; name the file itself "
                    "to check it")
                return
            add_file(p, name, explicit=False, resolved=resolved)

        if recursive:
            for root, dirs, files in os.walk(folder, onerror=unreadable):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for fname in files:
                    p = Path(root) / fname
                    add_listed(p, p.relative_to(folder).as_posix())
            return
        try:
            with os.scandir(folder) as listing:
                listed = list(listing)
        except OSError as exc:
            unreadable(exc)
            return
        entries = [e for e in listed if _is_file(e)]
        unread.extend(_unread_subfolders(listed, suffixes, excluded))
        for e in entries:  # a plain file's real path is its folder's: no stat, no resolve
            add_listed(Path(e.path), e.name, None if e.is_symlink() else root_dir / e.name)

    for item in paths:
        path = Path(item)
        if path.is_dir():
            add_folder(path)
        elif path.is_file():
            add_file(path, path.name, explicit=True)
        elif GLOB_CHARS & set(str(item)):
            matches = sorted(glob.glob(str(item), recursive=recursive))
            if not matches:
                missing.append(f"{item} (no file matches the pattern)")
            for m in matches:
                mp = Path(m)
                if mp.is_dir():
                    add_folder(mp)
                elif mp.is_file():
                    add_file(mp, mp.name, explicit=False)
        else:
            missing.append(str(item))
    if missing:
        raise ConfigError("not found: " + "; ".join(missing))
    return Discovered(
        files=_told_apart(sorted(found.values(), key=lambda f: _sort_key(f.path))),
        skipped=sorted(skipped.values(), key=lambda s: _sort_key(s.path)),
        unread=unread,
    )


# -- parallel map -------------------------------------------------------------------------


def resolve_jobs(jobs: int | None) -> int:
    """The number of processes to use: jobs if positive, else one per available core."""
    if jobs and jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _worker_init(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """Start a worker: its garbage collector on (a worker forked while the parent's was
    paused inherits the pause) but blind to what it inherited (gc.freeze: the modules and
    the parent's objects are never walked again in each collection, nor their pages copied
    for it; a tenth of a worker's time over a folder of returns), Ctrl-C the parent's to
    handle (it stops the workers), then the caller's initializer."""
    gc.enable()
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer:
        initializer(*initargs)


def stop_pool(pool: ProcessPoolExecutor, grace: float = 15.0) -> None:
    """Stop a pool after Ctrl-C or an error: cancel what has not started, let each worker
    finish the item in hand (within grace seconds), then end any that have not.

    Workers ignore SIGINT, so a worker is never killed while it sends a result: a worker
    killed mid-send leaves a half message that the pool's manager thread waits on forever,
    and the interpreter's exit waits on that thread (a hang after Ctrl-C). Further Ctrl-C
    presses are ignored meanwhile; the command is already stopping.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        previous = None
    try:
        pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace
        for process in processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _run_chunk(func: Callable[[T], R], chunk: list[T]) -> list[_Outcome[R]]:
    """Apply func to each item of a chunk in a worker; an exception becomes (False, message).

    A native library's panic (a BaseException) is caught too: sent back as it is, it cannot
    even be pickled, and the whole batch would stop."""
    out: list[_Outcome[R]] = []
    for item in chunk:
        try:
            out.append((True, func(item)))
        except BaseException as exc:
            if must_propagate(exc):
                raise
            out.append((False, describe(exc)))
    return out


def parallel_map(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    on_progress: Callable[[int, int], None] | None = None,
    on_error: Callable[[T, str], R] | None = None,
    chunksize: int | None = None,
    min_parallel: int = MIN_PARALLEL,
) -> list[R]:
    """[func(item) for item in items], over processes when it pays, in the items' order.

    func, initializer and their arguments must be picklable (module-level functions). The
    initializer runs once per worker process (or once here when serial), so large shared
    state (a framework) is sent once, not with every item. on_progress(done, total) is called
    as results arrive. If func raises for an item, or the worker process running it dies, the
    item's result is on_error(item, message); without on_error the exception propagates.
    """
    return list(parallel_imap(func, items, jobs=jobs, initializer=initializer,
                              initargs=initargs, on_progress=on_progress, on_error=on_error,
                              chunksize=chunksize, min_parallel=min_parallel))


def parallel_imap(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    on_progress: Callable[[int, int], None] | None = None,
    on_error: Callable[[T, str], R] | None = None,
    chunksize: int | None = None,
    min_parallel: int = MIN_PARALLEL,
) -> Iterator[R]:
    """parallel_map's results one at a time, in the items' order, each as soon as it and every
    result before it are in: a caller that writes each result out and keeps only what it
    needs holds a few chunks' results at a time, however many items there are (a chunk
    whose worker died is redone, item by item, once the pool has finished)."""
    total = len(items)
    jobs = resolve_jobs(jobs)
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if on_progress:
            on_progress(done, total)

    def settle(item: T, outcome: _Outcome[R]) -> R:
        if outcome[0]:
            return outcome[1]
        if on_error is None:
            raise RuntimeError(outcome[1])
        return on_error(item, outcome[1])

    if jobs <= 1 or total < min_parallel:
        if initializer:
            initializer(*initargs)
        for item in items:
            if on_error is None:
                result = func(item)
            else:
                (outcome,) = _run_chunk(func, [item])
                result = settle(item, outcome)
            progress(1)
            yield result
        return
    chunks = _chunked(items, jobs, chunksize)
    # The results arriving are mostly kept, not garbage: collecting while they arrive only
    # walks a growing heap again and again (a third of the parent's time over a folder).
    with collector_paused():
        arrived: dict[int, list[_Outcome[R]]] = {}
        next_chunk = 0
        for i, outcomes in _pooled(func, chunks, min(jobs, len(chunks)), initializer,
                                   initargs):
            if outcomes is None:
                continue  # its worker died: redone below
            arrived[i] = outcomes
            progress(len(chunks[i]))
            while next_chunk in arrived:
                for item, outcome in zip(chunks[next_chunk], arrived.pop(next_chunk),
                                         strict=True):
                    yield settle(item, outcome)
                next_chunk += 1
        # A worker died (killed, out of memory, a crash in a native library). Redo the
        # unfinished chunks one item at a time, each in a fresh one-process pool, so the item
        # that kills its worker is the only one that fails.
        for i in range(next_chunk, len(chunks)):
            if i in arrived:
                for item, outcome in zip(chunks[i], arrived.pop(i), strict=True):
                    yield settle(item, outcome)
                continue
            for item in chunks[i]:
                result = _isolated(func, item, initializer, initargs, settle, on_error)
                progress(1)
                yield result


def _chunked(items: Sequence[T], jobs: int, chunksize: int | None) -> list[list[T]]:
    """The items in chunks for the workers: chunksize each if given, else chunks that
    shrink as fewer items are left (at most 32; a quarter of each worker's share of what is
    left), so that the workers finish together rather than one waiting for the last long
    chunk."""
    if chunksize:
        return [list(items[i:i + chunksize]) for i in range(0, len(items), chunksize)]
    chunks, start = [], 0
    while start < len(items):
        size = max(1, min(32, (len(items) - start) // (jobs * 4)))
        chunks.append(list(items[start:start + size]))
        start += size
    return chunks


def _pooled(
    func: Callable[[T], R],
    chunks: list[list[T]],
    workers: int,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> Iterator[tuple[int, list[_Outcome[R]] | None]]:
    """(chunk index, its outcomes) as chunks finish over a pool of processes; None for a chunk
    whose worker died (the pool is then broken: every chunk not finished is None)."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                               initargs=(initializer, initargs))
    finished_ok = False
    futures: dict[Future[list[_Outcome[R]]], int] = {}
    given: set[int] = set()
    try:
        futures = {
            pool.submit(_run_chunk, func, chunk): i for i, chunk in enumerate(chunks)
        }
        not_done = set(futures)
        while not_done:
            finished, not_done = wait(not_done, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=futures.__getitem__):
                try:
                    outcomes: list[_Outcome[R]] | None = fut.result()
                except BrokenProcessPool:
                    outcomes = None  # redone by the caller, item by item
                i = futures.pop(fut)  # the future holds its result: let both go
                given.add(i)
                yield i, outcomes
        finished_ok = True
    except BrokenProcessPool:
        finished_ok = True
        for i in range(len(chunks)):
            if i not in given:
                yield i, None
    finally:
        # Ctrl-C, an error, or a caller that stopped early: do not wait for the rest.
        if finished_ok:
            pool.shutdown(wait=True)
        else:
            stop_pool(pool)


def _isolated(
    func: Callable[[T], R],
    item: T,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
    settle: Callable[[T, _Outcome[R]], R],
    on_error: Callable[[T, str], R] | None,
) -> R:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        pool = ProcessPoolExecutor(max_workers=1, initializer=_worker_init,
                                   initargs=(initializer, initargs))
        try:
            (outcome,) = pool.submit(_run_chunk, func, [item]).result()
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
    except BaseException as exc:
        if must_propagate(exc) or on_error is None:
            raise
        if isinstance(exc, BrokenProcessPool):
            return on_error(item, "the process checking it stopped unexpectedly (crash or out "
                                  "of memory)")
        return on_error(item, describe(exc))
    return settle(item, outcome)
