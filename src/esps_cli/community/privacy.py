"""Keeping challengers' contact details out of everything but groups.csv.

A challenge's texts are cleaned before they reach the register (so no audit entry, export,
Board pack or public edition can show them): each group's contact (the whole entry and each
part of it: a name, an e-mail address, a phone number) is replaced, as is any e-mail address
or phone number a group wrote into a challenge. Names of groups stay: they are public.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from esps_cli.domain.community import CommunityGroup

WITHHELD = "[contact withheld]"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A UK-style phone number: 10 or 11 digits, in groups separated by spaces, dots or dashes,
# optionally +44 and a bracketed 0.
PHONE = re.compile(r"(?<![\w])(?:\+44\s?(?:\(0\)\s?)?|0)\d(?:[\s.-]?\d){8,9}(?![\w])")


def contact_terms(groups: Iterable[CommunityGroup]) -> list[str]:
    """Every piece of every group's contact worth hiding, longest first."""
    terms: set[str] = set()
    for g in groups:
        contact = g.contact.strip()
        if not contact:
            continue
        terms.add(contact)
        terms.update(p.strip() for p in re.split(r"[;,|/\n]+", contact) if len(p.strip()) > 2)
    return sorted(terms, key=len, reverse=True)


def contact_redactor(groups: Iterable[CommunityGroup]) -> Callable[[str], str]:
    """A function that replaces every group's contact details, and any e-mail address or
    phone number, inside a text with "[contact withheld]"."""
    terms = contact_terms(groups)
    known = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)",
                        re.IGNORECASE) if terms else None)

    def redact(text: str) -> str:
        if known is not None:
            text = known.sub(WITHHELD, text)
        return PHONE.sub(WITHHELD, EMAIL.sub(WITHHELD, text))

    return redact
