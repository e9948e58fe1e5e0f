"""The working folder's settings: `esps.toml`, written by `esps init`, read by every command.

Flags override the file; relative paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from esps_cli.domain.paths import EXAMPLES_DIR, default_framework_path
from esps_cli.errors import ConfigError

CONFIG_NAME = "esps.toml"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    framework: Path | None = None
    units: Path | None = None
    advisors: Path | None = None
    cycle: str | None = None
    returns: Path | None = None
    # A SQLite file or a postgresql:// URL (so text: a URL is not a path).
    register_path: str | None = Field(default=None, alias="register")
    packs: Path | None = None
    # Protective marking printed at the top and foot of every page of every workbook written.
    classification: str = Field(default="OFFICIAL", min_length=1, max_length=60)
    # Whom the public edition tells residents to contact (and to challenge a result with).
    public_contact: str | None = Field(default=None, min_length=3, max_length=300)
    # Community review (issue 23): the groups list (id,name,area,units,contact; contacts stay
    # private) and the days to answer a challenge (default: the framework's).
    groups: Path | None = None
    challenge_response_days: int | None = Field(default=None, ge=1, le=366)
    # When units return their business action plans (overrides the framework's cycle).
    action_plan_due: date | None = None
    source: Path | None = None  # the esps.toml these came from, if any


def find_config(start: Path | None = None) -> Path | None:
    """ESPS_CONFIG if set, else the nearest esps.toml: in the current folder or the first
    folder above it that has one (as git finds .git), so commands work from any subfolder
    of a working folder."""
    env = os.environ.get("ESPS_CONFIG")
    if env:
        return Path(env)
    try:
        here = (start or Path.cwd()).absolute()
    except OSError:  # the current folder was deleted
        return None
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a folder above that cannot be read: look no further
            return None
    return None


def missing_setting(settings: Settings, what: str, flag: str, key: str) -> ConfigError:
    """The error for a command run without something it needs: inside a working folder,
    which line of esps.toml to add; outside one, that there is none and how to make one."""
    if settings.source is None:
        return ConfigError(
            f"no {what}: pass {flag}, or run the command inside a working folder (no "
            f"{CONFIG_NAME} here or in any folder above; `esps init FOLDER` creates one)")
    return ConfigError(f"no {what}: pass {flag}, or set `{key}` in {settings.source}")


def cycle_id(settings: Settings, option: str | None) -> str:
    """--cycle, else esps.toml's `cycle`; never a guess (the framework's latest cycle is
    not necessarily the one being assessed)."""
    chosen = option or settings.cycle
    if not chosen:
        raise missing_setting(settings, "assessment cycle", "--cycle (e.g. --cycle 2010-11)",
                              "cycle")
    return chosen


def load_settings(path: Path | None = None) -> Settings:
    path = path or find_config()
    if path is None:
        return Settings()
    raw = _read_toml(path)
    data = raw.get("esps", raw)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
    base = path.parent
    resolved = {
        k: (base / v if isinstance(v, Path) and not v.is_absolute() else v)
        for k, v in settings.model_dump(by_alias=True).items()
    }
    register = settings.register_path  # text, so left alone above
    if register and "://" not in register and not Path(register).is_absolute():
        resolved["register"] = str(base / register)
    resolved["source"] = path
    return Settings.model_validate(resolved)


MAX_SETTINGS_BYTES = 1_000_000


def _read_toml(path: Path) -> dict[str, object]:
    """esps.toml as a dict; every problem with the file is a ConfigError naming it."""
    try:
        if not path.is_file():
            raise ConfigError(
                f"{path}: settings file not found" if not path.exists()
                else f"{path}: not a settings file (it is a folder or a device); point "
                     "ESPS_CONFIG at an esps.toml"
            )
        if path.stat().st_size > MAX_SETTINGS_BYTES:
            raise ConfigError(f"{path}: too large for a settings file; is this esps.toml?")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the settings file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start + 1}); save esps.toml as UTF-8 "
            "(in Notepad: Save As, Encoding: UTF-8)"
        ) from None
    import tomllib  # only when there is an esps.toml to read (start-up time)

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def init_folder(folder: Path, *, with_examples: bool = True, force: bool = False) -> list[Path]:
    """Create a working folder: esps.toml, a copy of the framework, units and advisors lists."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError(f"{config} already exists; use --force to write it again")
    created: list[Path] = []
    framework_copy = folder / "framework.yaml"
    if not framework_copy.exists():
        shutil.copyfile(default_framework_path(), framework_copy)
        created.append(framework_copy)
    if with_examples:
        for name in ("units.csv", "dcfas.csv"):
            target = folder / name
            if not target.exists():
                shutil.copyfile(EXAMPLES_DIR / name, target)
                created.append(target)
    for sub in ("returns", "packs"):
        (folder / sub).mkdir(exist_ok=True)
    config.write_text(
        "# esps-cli settings for this working folder. Paths are relative to this file.\n"
        "# Command-line flags override these values.\n"
        "[esps]\n"
        'framework = "framework.yaml"   # the ESPS framework (themes, indicators, rules)\n'
        'units = "units.csv"            # the (B)OCUs: code,name,business_group,linked_dcfa\n'
        'advisors = "dcfas.csv"         # the DCFAs: id,name,email\n'
        'cycle = "2010-11"              # the assessment cycle (a cycle id in the framework)\n'
        'packs = "packs"                # where esps generate writes workbooks\n'
        'returns = "returns"            # where returned workbooks are collected\n'
        'register = "esps.db"           # the DCFA score register, or postgresql://user@host/db\n'
        'classification = "OFFICIAL"    # marking printed on every page of every report\n'
        '# public_contact = "the Equality and Diversity Team, 020 7000 0000, '
        'equality@example.police.uk"\n'
        '#                                whom the public edition says to contact\n'
        '# action_plan_due = 2011-04-30  # when units return their action plans (else the '
        "framework's)\n",
        encoding="utf-8",
    )
    created.append(config)
    return created


def packs_folder(settings: Settings, out: Path | None) -> Path:
    """Where `esps generate` writes: --out, else esps.toml's `packs`."""
    folder = out or settings.packs
    if folder is None:
        raise ConfigError("say where to write the workbooks: --out DIR (or `packs` in esps.toml)")
    return folder


def returns_folders(settings: Settings, returns: list[Path] | None) -> list[Path]:
    """The returned workbooks' folders: --returns, else esps.toml's `returns`; each must exist."""
    paths = returns or ([settings.returns] if settings.returns else [])
    if not paths:
        raise ConfigError("say where the returned workbooks are: --returns FOLDER "
                          "(or `returns` in esps.toml)")
    for p in paths:
        if not p.exists():
            raise ConfigError(f"returns folder {p} not found")
    return paths
