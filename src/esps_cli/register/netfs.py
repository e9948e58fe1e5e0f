"""Is a path on a network filesystem? SQLite must not hold a register there.

SQLite's own documentation: WAL mode needs shared memory on one host and does not work over a
network filesystem, and file locking on NFS/SMB is unreliable, so several advisors writing to a
register on a shared drive is where scores get lost. The check reads the mount table
(``/proc/mounts`` on Linux; a file path argument so tests can give their own) and, on Windows,
recognises UNC paths (``\\\\server\\share\\...``) and mapped network drives.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PureWindowsPath

MOUNTS_FILE = Path("/proc/mounts")

# Filesystem types (the third field of /proc/mounts) that live on another machine.
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs",
    "ncpfs", "coda", "ceph", "fuse.ceph", "glusterfs", "fuse.glusterfs", "lustre", "gfs2",
    "ocfs2", "davfs", "fuse.davfs2", "fuse.rclone", "fuse.s3fs", "webdav", "virtiofs",
    "fuse.gvfsd-fuse", "fuse.smbnetfs", "fuse.cifs",
})


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def read_mounts(mounts_file: Path = MOUNTS_FILE) -> list[tuple[Path, str, str]]:
    """(mount point, filesystem type, source) for each line of a mount table; [] if unreadable."""
    try:
        text = mounts_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            mounts.append((Path(_unescape(fields[1])), fields[2].lower(), _unescape(fields[0])))
    return mounts


def _existing(path: Path) -> Path:
    """The path itself, or its nearest existing folder (a register not created yet)."""
    path = Path(os.path.abspath(path))
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate.resolve()
    return path


def mount_of(path: Path, mounts_file: Path = MOUNTS_FILE) -> tuple[Path, str, str] | None:
    """The mount holding path: the entry with the longest mount point above it (the last one
    wins when several are mounted on the same point, as the kernel does)."""
    target = _existing(path)
    best: tuple[Path, str, str] | None = None
    for entry in read_mounts(mounts_file):
        point = entry[0]
        if (target == point or point in target.parents) and (
            best is None or len(point.parts) >= len(best[0].parts)
        ):
            best = entry
    return best


def windows_network_path(path: Path | str) -> str | None:
    """Why a Windows path is on the network (UNC or a mapped network drive), else None."""
    text = str(path)
    win = PureWindowsPath(text)
    if text.startswith(("\\\\", "//")) and not text.startswith(("\\\\?\\", "\\\\.\\")):
        return f"a UNC network path ({win.anchor.rstrip(chr(92))})"
    if text.startswith("\\\\?\\UNC\\"):
        return "a UNC network path"
    if sys.platform == "win32" and win.drive:
        import ctypes

        drive_remote = 4
        root = win.drive + "\\"
        if ctypes.windll.kernel32.GetDriveTypeW(root) == drive_remote:  # type: ignore[attr-defined]
            return f"on the mapped network drive {win.drive}"
    return None


def network_filesystem(path: Path | str, mounts_file: Path = MOUNTS_FILE) -> str | None:
    """Why path is on a network filesystem (e.g. "on nfs4 server:/share mounted at /mnt/s"),
    or None for a local disk."""
    why = windows_network_path(path)
    if why or sys.platform == "win32":
        return why
    mount = mount_of(Path(path), mounts_file)
    if mount is None:
        return None
    point, fstype, source = mount
    if fstype in NETWORK_FILESYSTEMS or fstype.startswith(("nfs", "smb", "cifs")):
        return f"on {fstype} ({source} mounted at {point})"
    return None
