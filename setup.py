"""Build hook: the wheel carries the repository's top-level `templates/` and `examples/`.

Both folders stay at the top of the repository; at build time they are copied into the
package as `esps_cli/data/templates` and `esps_cli/data/examples`, where
`esps_cli.domain.paths` finds them through importlib.resources. An editable install skips
the copy and reads the repository's folders instead. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("templates", "examples")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in BUNDLED:
            source = ROOT / name
            if not source.is_dir():  # never build a wheel that cannot run `esps init`
                raise SystemExit(f"setup.py: {source} is missing; it must ship in the wheel")
            target = Path(self.build_lib) / "esps_cli" / "data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=IGNORED)


setup(cmdclass={"build_py": BuildPyWithData})
