"""The rich console every command prints through, made safe for text from the data. Imported
when a command first prints something for people (io.output.LazyConsole), so that a command
that prints only JSON or CSV does not import rich at all."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from esps_cli.io.safety import CONTROL_CHARACTERS


class SafeConsole(Console):
    """A rich Console that never passes control characters from the data to the terminal.

    Free text (a comment, a unit name, a file name) can hold escape sequences that retitle or
    clear a terminal; every text segment is cleaned as it is rendered, while rich's own
    control segments (colours, cursor moves of a progress bar) pass as they are.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            seg if seg.control else Segment(CONTROL_CHARACTERS.sub("", seg.text), seg.style)
            for seg in buffer
        )
