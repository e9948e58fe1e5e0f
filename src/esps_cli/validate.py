"""Checking returned workbooks against the evidence minimums (see issue: esps validate)."""
