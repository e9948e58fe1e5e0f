"""The working-folder options (framework, units, advisors, cycle, register, network SQLite)
declared once, and resolved once into a `Workspace` that the command receives.

A command asks for them by taking a parameter `here: Workspace` and wearing the decorator:

    @app.command()
    @handles_errors
    @working_folder(network=True)
    def show(unit: UnitCode, here: Workspace, fmt: options.Format = Format.text) -> None:
        roster = here.roster()
        with Register.open(here.location, create=False) as reg: ...

The decorator adds the options to the command's signature (Typer reads them from it, with
the help texts of cli/options.py) and hands the command one `Workspace` built from their
values. What the workspace loads (settings, framework, lists, the register's location) it
loads on first use, once: a command that fails on its arguments never reads a list.
"""

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from esps_cli.cli import options
from esps_cli.cli.common import Context, load_context, register_location

if TYPE_CHECKING:
    from esps_cli.domain.config import Settings
    from esps_cli.register import RegisterLocation
    from esps_cli.scoring.roster import Roster

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Workspace:
    """The working folder as the command line names it (None: esps.toml's, else the default)."""

    framework: Path | None = None
    units: Path | None = None
    advisors: Path | None = None
    cycle: str | None = None
    register: str | None = None
    allow_network_sqlite: bool = False
    need_units: bool = True
    _settings: "Settings | None" = field(default=None, init=False, repr=False)
    _context: Context | None = field(default=None, init=False, repr=False)

    @property
    def settings(self) -> "Settings":
        if self._settings is None:
            from esps_cli.domain.config import load_settings

            self._settings = load_settings()
        return self._settings

    @property
    def context(self) -> Context:
        """Framework, cycle, advisors and units: flags, then esps.toml, then the examples."""
        if self._context is None:
            self._context = load_context(framework=self.framework, units=self.units,
                                         advisors=self.advisors, cycle=self.cycle,
                                         need_units=self.need_units, s=self.settings)
        return self._context

    @property
    def location(self) -> "RegisterLocation":
        """The score register: --register, else ESPS_REGISTER, else esps.toml's."""
        return register_location(self.register, self.settings,
                                 allow_network_sqlite=self.allow_network_sqlite)

    @property
    def configured_location(self) -> "RegisterLocation | None":
        """The register if one is configured anywhere, else None (commands that work
        without one: generate, upgrade, validate)."""
        from esps_cli.register.location import configured_location

        return configured_location(self.register, self.settings.register_path)

    def roster(self) -> "Roster":
        from esps_cli.scoring.roster import Roster

        ctx = self.context
        return Roster(ctx.framework, ctx.cycle, ctx.units, ctx.advisors,
                      classification=self.settings.classification)


# The options, in the order they are listed in --help; each can be left out or given another
# alias (validate's --units and --cycle mean something narrower).
_OPTIONS = ("cycle", "units", "advisors", "framework", "register", "allow_network_sqlite")


def working_folder(*, cycle: Any = options.Cycle, units: Any = options.Units,
                   advisors: Any = options.Advisors, framework: Any = options.Framework,
                   register: Any = options.Register, network: bool = False,
                   need_units: bool = True) -> Callable[[F], F]:
    """Give the command the working-folder options (an alias from cli/options.py each; None
    leaves one out; network adds --allow-network-sqlite) as `here: Workspace`."""
    aliases = {"cycle": cycle, "units": units, "advisors": advisors, "framework": framework,
               "register": register,
               "allow_network_sqlite": options.AllowNetworkSqlite if network else None}
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=aliases[name],
                               default=False if name == "allow_network_sqlite" else None)
             for name in _OPTIONS if aliases[name] is not None]

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        kept = [p for p in signature.parameters.values() if p.name != "here"]

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            given = {p.name: kwargs.pop(p.name, p.default) for p in added}
            return func(*args, here=Workspace(**given, need_units=need_units), **kwargs)

        params = kept + added
        command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params} | {
            "return": signature.return_annotation}
        return command  # type: ignore[return-value]

    return decorate
