"""Findings: what a check found, with a stable code from the one catalogue, where, and how to
fix it."""

from esps_cli.findings.catalogue import *  # noqa: F403
from esps_cli.findings.model import (
    Code,
    Finding,
    Severity,
    assembled,
    catalogue,
    finding,
    make_finding,
    register,
)

__all__ = ["Code", "Finding", "Severity", "assembled", "catalogue", "finding", "make_finding",
           "register"]
