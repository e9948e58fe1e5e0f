"""esps-cli: workbooks, validation, scoring and summaries for the ESPS self-assessment."""

__version__ = "0.1.0"
