"""Where bundled data lives: the framework templates and the examples."""

from __future__ import annotations

import os
from pathlib import Path

# src/esps_cli/domain/paths.py -> project root (the package is installed editable from the repo).
PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATES_DIR = Path(os.environ.get("ESPS_TEMPLATES", PROJECT_ROOT / "templates"))
EXAMPLES_DIR = PROJECT_ROOT / "examples"
DEFAULT_FRAMEWORK_FILE = "esps-framework.yaml"


def default_framework_path() -> Path:
    return TEMPLATES_DIR / DEFAULT_FRAMEWORK_FILE
