"""What the database checks scores against (schema version 8): each unit's linked DCFA, as the
units list names it, and each cycle's scale and moderation threshold, from the framework.
Recorded by an administrator's command (esps allocate), append-only, in the audit log."""

from __future__ import annotations

from esps_cli.register import audit
from esps_cli.register.models import now_utc, timestamp
from esps_cli.register.store import Register


def unit_links(register: Register, cycle: str) -> dict[str, str]:
    """unit -> its linked DCFA as last recorded for a cycle."""
    rows = register.database.query(
        "SELECT unit, linked_dcfa FROM unit_links WHERE id IN (SELECT MAX(id) FROM "
        "unit_links WHERE cycle = ? GROUP BY unit)", (cycle,))
    return {r["unit"]: r["linked_dcfa"] for r in rows}


def record_cycle_facts(register: Register, cycle: str, links: dict[str, str],
                       scale: tuple[int, int], moderation_threshold: int) -> None:
    """Record the units' linked DCFAs and the cycle's rules, where changed."""
    db = register.database
    at = timestamp(now_utc())
    with register.transaction():
        known = unit_links(register, cycle)
        ids = [db.insert("unit_links", {"cycle": cycle, "unit": unit, "linked_dcfa": dcfa,
                                        "recorded_at": at})
               for unit, dcfa in sorted(links.items()) if known.get(unit) != dcfa]
        if ids:
            audit.log_rows(db, "unit_links", ids[0], ids[-1])
        rule = db.query_one(
            "SELECT scale_min, scale_max, moderation_threshold FROM cycle_rules WHERE id = "
            "(SELECT MAX(id) FROM cycle_rules WHERE cycle = ?)", (cycle,))
        wanted = {"scale_min": scale[0], "scale_max": scale[1],
                  "moderation_threshold": moderation_threshold}
        if rule != wanted:
            new_id = db.insert("cycle_rules", {"cycle": cycle, **wanted, "recorded_at": at})
            audit.log_rows(db, "cycle_rules", new_id)


def moderation_threshold(register: Register, cycle: str) -> int | None:
    """The cycle's moderation threshold as the database holds scores to it (None: no rules
    recorded for the cycle yet, so the database checks none)."""
    rule = register.database.query_one(
        "SELECT moderation_threshold FROM cycle_rules WHERE id = "
        "(SELECT MAX(id) FROM cycle_rules WHERE cycle = ?)", (cycle,))
    return None if rule is None else int(rule["moderation_threshold"])
