"""Checkpoint files: the audit chain's head kept outside the register (`esps log checkpoint`),
so that `esps log --verify --since-checkpoint FILE` catches a log rewritten end to end or cut
short, which the chain alone cannot (see register/audit.py).

A checkpoint is a small JSON file: the register it came from, the head (entry number and
hash), when it was written. Keep it where the register's writers cannot change it (an e-mail
to the DCFD administrator, a read-only share, a printout of the fingerprint).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from esps_cli.errors import ConfigError
from esps_cli.io.safety import atomic_write_text
from esps_cli.register.audit import TABLE, ChainHead, chain_head, parse_head
from esps_cli.register.errors import RegisterNotFound
from esps_cli.register.location import RegisterLocation
from esps_cli.register.models import now_utc
from esps_cli.register.store import Register

KIND = "esps audit checkpoint"
MAX_BYTES = 64 * 1024  # a checkpoint is a few hundred bytes: anything bigger is not one


class Checkpoint(BaseModel):
    kind: str = KIND
    register_at: str  # the register's location (no password)
    entry: int
    head: str
    fingerprint: str
    written_at: datetime

    @property
    def chain_head(self) -> ChainHead:
        return ChainHead(entry=self.entry, hash=self.head)


def take(register: Register) -> Checkpoint:
    """The register's head now, as a checkpoint."""
    head = chain_head(register.database)
    return Checkpoint(register_at=str(register.location), entry=head.entry, head=head.hash,
                      fingerprint=head.fingerprint, written_at=now_utc())


def fingerprint_of(location: RegisterLocation | Path | str | None) -> str:
    """The fingerprint of a register's chain head now, as a report prints it; "" without a
    register (or one with no audit log)."""
    if location is None:
        return ""
    try:
        with Register.open(location, create=False) as reg, reg.snapshot():
            if not reg.database.has_table(TABLE):
                return ""
            return chain_head(reg.database).fingerprint
    except RegisterNotFound:
        return ""


def write(checkpoint: Checkpoint, path: Path, *, force: bool = False) -> None:
    """Write a checkpoint file (atomically; an existing file only with force)."""
    atomic_write_text(path, checkpoint.model_dump_json(indent=2) + "\n", force=force)


def read(path: Path) -> Checkpoint:
    """A checkpoint file as written by `write`; a ConfigError naming the file otherwise."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the checkpoint {path}: {exc.strerror or exc}") from None
    try:
        if len(data) > MAX_BYTES:
            raise ValueError("it is far too big")
        found = Checkpoint.model_validate(json.loads(data.decode("utf-8")))
        if found.kind != KIND:
            raise ValueError(f"its kind is {found.kind!r}")
        parse_head(f"{found.entry}:{found.head}")
    except (ValueError, ValidationError) as exc:
        reason = str(exc).splitlines()[0]
        raise ConfigError(f"{path} is not an esps checkpoint ({reason}): write one with "
                          "`esps log checkpoint FILE`") from None
    return found
