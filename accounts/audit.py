"""The append-only audit log (ops.audit_log): every admin and sign-in event, who, what, when, from where."""

from __future__ import annotations

import json


def record(cur, actor: str, action: str, *, target: str | None = None, source: str | None = None,
           **detail) -> None:
    """Append one event in the caller's transaction, so the event and its change commit together."""
    cur.execute(
        "insert into ops.audit_log (actor, action, target, source, detail) values (%s, %s, %s, %s, %s)",
        (actor, action, target, source, json.dumps(detail, default=str)),
    )


def events(cur, limit: int = 100, before: int | None = None) -> list[dict]:
    """The newest events first (before the event id `before`, when paging)."""
    cur.execute(
        "select event_id, occurred_at, actor, action, target, source, detail from ops.audit_log"
        " where (%(before)s::bigint is null or event_id < %(before)s) order by event_id desc limit %(limit)s",
        {"before": before, "limit": limit},
    )
    keys = ("event_id", "occurred_at", "actor", "action", "target", "source", "detail")
    return [dict(zip(keys, row)) for row in cur.fetchall()]
