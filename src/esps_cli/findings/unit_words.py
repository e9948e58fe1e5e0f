"""Findings as a unit reads them: no command or tool names in unit-facing text.

The catalogue's hints are written for everyone who reads a finding, DCFD's analysts included,
and a few name a command ("(esps score packs)") or the tool. A unit never runs the tool, so
its feedback and its marked-up copy show the same text with those left out.
"""

from __future__ import annotations

import re

# "(esps validate --verbose lists every finding)", "(see esps framework show)"
_COMMAND_ASIDE = re.compile(r"\s*\([^()]*\besps [a-z][^()]*\)")
_COMMAND = re.compile(r"\besps [a-z]+(?: [a-z]+)?(?: --?[a-z-]+)*")
_TOOL = re.compile(r"\besps-cli\b")


def for_units(text: str) -> str:
    """The text with command names and the tool's name left out."""
    text = _COMMAND_ASIDE.sub("", text)
    text = _TOOL.sub("DCFD's checking tool", text)
    return _COMMAND.sub("DCFD's checking tool", text)
