"""Where bundled data lives: the framework templates and the examples.

`templates/` and `examples/` sit at the top of the repository. The wheel carries copies of
them inside the package (`esps_cli/data/`, put there by the build hook in setup.py), found
here through importlib.resources; an editable install or a source checkout has no such copy
and uses the repository's folders.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

# src/esps_cli/domain/paths.py -> the repository root (meaningful for a checkout only).
PROJECT_ROOT = Path(__file__).resolve().parents[3]
BUNDLED_DATA = "data"  # the folder inside the package the wheel's build hook fills
DEFAULT_FRAMEWORK_FILE = "esps-framework.yaml"


def bundled_dir(name: str) -> Path:
    """The bundled folder `name` ("templates" or "examples"): the wheel's copy inside the
    package if there is one, else the repository's top-level folder."""
    packaged = files("esps_cli").joinpath(BUNDLED_DATA, name)
    # A wheel installed into site-packages is a real folder; a zipped install is not supported.
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return PROJECT_ROOT / name


TEMPLATES_DIR = Path(os.environ.get("ESPS_TEMPLATES") or bundled_dir("templates"))
EXAMPLES_DIR = bundled_dir("examples")


def default_framework_path() -> Path:
    return TEMPLATES_DIR / DEFAULT_FRAMEWORK_FILE
