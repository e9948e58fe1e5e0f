"""The `esps` command line: the root app, `--version`, and the one place commands are added.

How a command is registered (every command, the same way):

- Each command group is one module in this package that exposes `app = typer.Typer()`.
  Its commands are `@app.command()` functions wrapped in `@handles_errors`; a nested group
  (`esps framework ...`, `esps score ...`) is a `typer.Typer(help=...)` that the module adds to
  its own `app` with `app.add_typer(group, name="...")`.
- `COMMAND_MODULES` below lists the modules and the names each adds; `add_typer` without a
  name merges each module's commands and groups into the root, in that order. A command is
  run with only its own module imported.
- Options shared by several commands come from `cli/options.py` (typed `Annotated` aliases);
  the command's signature gives the default.
- Commands parse, call the library, print. Decisions (which files, which exit code, which
  rows) belong to the library; heavy modules (openpyxl, pydantic models, the summary and
  scoring code, python-calamine) are imported inside the command that uses them, so
  `esps --version` and `esps --help` start fast (tests/test_startup.py guards this).
- The command modules do not use `from __future__ import annotations`: Typer reads every
  command's signature at start-up, and string annotations cost an `eval` each. A name
  imported only for type checking is quoted where it is used.
"""

import contextlib
import gc
import inspect
import os
import sys
from functools import cache
from typing import Annotated, Any

import typer
from typer.main import get_command_name
from typer.models import CommandInfo, TyperInfo

from esps_cli import __version__
from esps_cli.io.output import console

# The command modules, in the order `esps --help` lists their commands, and the commands and
# command groups each adds to the root. `esps NAME ...` imports only the module that adds NAME
# (and what that module's group takes from others), not every command's (start-up time);
# tests/test_startup.py checks this table against what the modules register.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "framework": ("init", "generate", "framework"),
    "validate": ("validate",),
    "score": ("allocate", "score"),
    "packs": (),  # `esps score packs`: a command of the score group
    "calibrate": ("calibrate",),
    "summary": ("summary", "actions", "feedback", "buddies"),
    "review": ("review",),
    "upgrade": ("upgrade",),
    "register": ("register",),
    "log": ("log",),
    "challenge": ("challenge",),
    "publish": ("publish", "releases"),
    "demo": ("demo",),
}
# Modules whose commands join another module's group.
_JOINS = {"score": ("packs",)}


def _root() -> typer.Typer:
    root = typer.Typer(
        name="esps",
        help="Workbooks, validation, scoring and summaries for the Equality Standard for the "
        "Police Service (ESPS) self-assessment.",
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
    )
    root.callback()(_main)
    return root


def _version(value: bool) -> None:
    if value:
        console.print(f"esps-cli {__version__}")
        raise typer.Exit()


def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Run `esps COMMAND --help` for each command's options and an example."""


@cache
def command_group(module: str) -> typer.Typer:
    """A command module's app (imported now, with the modules that join its group), its
    commands' help unwrapped once."""
    # __import__, not importlib.import_module: -X importtime (tests/test_startup.py) sees it
    apps: list[typer.Typer] = [__import__(f"esps_cli.cli.{name}", fromlist=["app"]).app
                               for name in (module, *_JOINS.get(module, ()))]
    for joined in apps:
        _unwrap_all(joined)
    return apps[0]


@cache
def whole_app() -> typer.Typer:
    """The root app with every command (`esps --help`, and anything not a command's name)."""
    root = _root()
    for module in COMMAND_MODULES:
        root.add_typer(command_group(module))
    return root


def __getattr__(name: str) -> typer.Typer:
    # `app`, the whole app, is made when first asked for (tests and `esps --help`), so that
    # `esps validate ...` imports no other command's module.
    if name == "app":
        return whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_OWN_LINE = (" ", "- ", "* ", "\b", "[bold]esps ")


def unwrap_help(text: str | None) -> str | None:
    """A docstring as help that wraps to the terminal: the lines of each paragraph joined (they
    were wrapped for the source file, and Typer keeps them, so help re-wrapped at another
    width reads raggedly). A paragraph of list items, indented lines or example commands (a
    line that starts with one) keeps its lines."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if any(line.startswith(_OWN_LINE) for line in p.splitlines()[1:])
        else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs)


def _unwrap_all(typer_app: typer.Typer) -> None:
    """unwrap_help on every command's and group's help, once, as the app is assembled."""
    for command in typer_app.registered_commands:
        doc = command.help or (command.callback.__doc__ if command.callback else None)
        command.help = unwrap_help(doc)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            info = group.typer_instance.info
            info.help = unwrap_help(info.help if isinstance(info.help, str) else None)
            _unwrap_all(group.typer_instance)


def _no_type_beside_flags() -> None:
    """A flag takes no value, so its help shows no type: Typer (0.2x) prints one for every
    option (`--force <bool>`, even `--help <bool>`), which reads as if it wanted a value."""
    from typer.core import TyperOption

    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "esps_flags_bare", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag or self.count else shown(self, ctx)

    display_type_rich.esps_flags_bare = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_no_type_beside_flags()


def _replace_unshowable() -> None:
    """A console that cannot show a character (a Windows code page, PYTHONIOENCODING=ascii)
    shows '?' for it instead of ending the command with an encoding error."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # cannot be reconfigured: leave it
                reconfigure(errors="replace")


def app_for(args: list[str]) -> typer.Typer:
    """The root app holding only the command (or command group) that args name first, else
    the whole app. Typer reads the signature of every command it holds before running one
    (start-up time); the command's own help, usage lines
    and errors are the same either way ("esps validate ..."). Anything else (no command,
    an option first, a name that is not a command) gets the whole app and its messages."""
    if args == ["--version"]:
        return _pruned([], [])
    if not args or args[0].startswith("-"):
        return whole_app()
    for module, names in COMMAND_MODULES.items():
        if args[0] not in names:
            continue
        group = command_group(module)
        commands = [c for c in group.registered_commands
                    if c.callback is not None
                    and (c.name or get_command_name(c.callback.__name__)) == args[0]]
        groups = [g for g in group.registered_groups if g.name == args[0]]
        if commands or groups:
            return _pruned(commands, groups)
    return whole_app()


def _pruned(commands: list[CommandInfo], groups: list[TyperInfo]) -> typer.Typer:
    only = typer.Typer()
    only.registered_commands, only.registered_groups = commands, groups
    pruned = _root()
    pruned.add_typer(only)
    return pruned


_PLUGIN_LOADER = "pydantic.plugin._loader"


def _no_plugin_loader() -> None:
    """With pydantic's plugins disabled, stand in for the module that would look for them.

    pydantic imports its plugin loader when the first model is built, and the loader imports
    importlib.metadata (and with it the email package) at its top, to find plugins it is then
    told not to load: a twentieth of a command's start. The stand-in answers as the loader
    does when plugins are disabled (no plugins); any other name asked of it is the real
    loader's, imported then."""
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in ("__all__", "1", "true") \
            or _PLUGIN_LOADER in sys.modules:
        return
    import types

    stand_in = types.ModuleType(_PLUGIN_LOADER)

    def get_plugins() -> tuple[()]:
        return ()

    def real(name: str) -> Any:
        if name.startswith("__"):  # asked by the import system (is it a package?)
            raise AttributeError(name)
        if sys.modules.get(_PLUGIN_LOADER) is stand_in:
            del sys.modules[_PLUGIN_LOADER]
        import importlib

        return getattr(importlib.import_module(_PLUGIN_LOADER), name)

    stand_in.get_plugins = get_plugins  # type: ignore[attr-defined]
    stand_in.__getattr__ = real  # type: ignore[method-assign]
    sys.modules[_PLUGIN_LOADER] = stand_in


def main() -> None:
    _replace_unshowable()
    # esps uses no pydantic plugins: looking for them scans every installed package's entry
    # points when the first model is built (start-up time). Set it to "" to look.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _no_plugin_loader()
    try:
        app_for(sys.argv[1:])()
    finally:
        # What is left is freed as the process ends; frozen, the interpreter's last garbage
        # collections at exit do not walk it all first. atexit handlers and finalizers still
        # run.
        gc.freeze()
