"""Report schedules (ops.report_schedules; migration 0011): a saved view printed as PDF daily or
weekly at an hour (UTC) and sent to an alert webhook an admin configured or to a Slack channel.
Used by /v1/report-schedules (report_schedules_routes.py) and by the Dagster sensor and job of
orchestration/defs/reports, which call `due` and `record_sent`.

A schedule is due at its latest due time (`latest_due`) when that is after both its creation and the
due time of the last report it sent: a schedule made at 10:30 for 10:00 daily sends first tomorrow,
and a daemon that was down for a week sends the latest report once, not seven.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from accounts import audit, saved_views
from accounts.saved_views import SavedViewError
from outcomelens.core.tokens import ROLES
from outcomelens.core.warehouse import transaction

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FREQUENCIES = ("daily", "weekly")
# Slack channel ids (files.completeUploadExternal takes an id, not a #name): C…, G… (private), D… (DM).
_SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{6,20}$")
MAX_SCHEDULES_PER_OWNER = 50
_COLUMNS = (
    "s.schedule_id, s.view_id, v.name, v.href, s.owner_sub, s.owner_role, s.frequency, s.weekday, s.hour,"
    " s.destination_kind, s.destination, s.created_at, s.last_due_at, s.last_sent_at, s.last_error"
)
_FROM = "ops.report_schedules s join ops.saved_views v using (view_id)"


@dataclass(frozen=True)
class Schedule:
    schedule_id: int
    view_id: int
    view_name: str
    href: str
    owner: str
    owner_role: str
    frequency: str
    weekday: int | None
    hour: int
    destination_kind: str
    destination: str
    created_at: datetime
    last_due_at: datetime | None
    last_sent_at: datetime | None
    last_error: str | None

    def public(self, now: datetime | None = None) -> dict:
        when = lambda t: t.isoformat() if t else None  # noqa: E731
        return {
            "id": self.schedule_id,
            "view_id": self.view_id,
            "view_name": self.view_name,
            "href": self.href,
            "owner": self.owner,
            "frequency": self.frequency,
            "weekday": WEEKDAYS[self.weekday] if self.weekday is not None else None,
            "hour": self.hour,
            "destination": {"kind": self.destination_kind, "name": self.destination},
            "created_at": when(self.created_at),
            "last_due_at": when(self.last_due_at),
            "last_sent_at": when(self.last_sent_at),
            "last_error": self.last_error,
            "next_due_at": when(next_due(self, now or datetime.now(timezone.utc))),
        }


# ---- due times (pure) ----------------------------------------------------------------------------


def latest_due(frequency: str, weekday: int | None, hour: int, now: datetime) -> datetime:
    """The latest due time at or before `now` (UTC)."""
    now = now.astimezone(timezone.utc)
    due = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if frequency == "weekly":
        due -= timedelta(days=(now.weekday() - weekday) % 7)
    if due > now:
        due -= timedelta(days=7 if frequency == "weekly" else 1)
    return due


def next_due(schedule: Schedule, now: datetime) -> datetime:
    step = timedelta(days=7 if schedule.frequency == "weekly" else 1)
    return latest_due(schedule.frequency, schedule.weekday, schedule.hour, now) + step


def due_time(schedule: Schedule, now: datetime) -> datetime | None:
    """The due time to send now, or None: not after the schedule's creation or the last one sent."""
    due = latest_due(schedule.frequency, schedule.weekday, schedule.hour, now)
    if due <= schedule.created_at or (schedule.last_due_at is not None and due <= schedule.last_due_at):
        return None
    return due


# ---- validation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destinations:
    """Where reports may go: the alert webhooks (by name; they sign like the alerts) and whether a
    Slack bot token is set. `webhooks` is None when the service has no governance backends."""

    webhooks: list[str] | None
    slack: bool


def check(body: dict, destinations: Destinations) -> dict:
    """The schedule's fields, checked, or SavedViewError naming the first wrong one."""
    frequency = body.get("frequency")
    if frequency not in FREQUENCIES:
        raise SavedViewError("frequency", f"must be one of {', '.join(FREQUENCIES)}, got {frequency!r}")
    weekday = body.get("weekday")
    if frequency == "weekly":
        if not isinstance(weekday, str) or weekday.lower() not in WEEKDAYS:
            raise SavedViewError("weekday", f"a weekly report needs one of {', '.join(WEEKDAYS)}, got {weekday!r}")
        weekday = WEEKDAYS.index(weekday.lower())
    elif weekday is not None:
        raise SavedViewError("weekday", "only a weekly report has a weekday")
    hour = body.get("hour")
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        raise SavedViewError("hour", f"an hour of the day in UTC, 0–23, got {hour!r}")
    destination = body.get("destination")
    if not isinstance(destination, dict):
        raise SavedViewError(
            "destination",
            'required: {"kind": "webhook", "name": <alert channel>} or {"kind": "slack", "channel_id": "C0123456789"}',
        )
    kind = destination.get("kind")
    if kind == "webhook":
        name = destination.get("name")
        if destinations.webhooks is None:
            raise SavedViewError(
                "destination",
                "this accounts service was started without the governance "
                "backends, so it cannot list the alert webhooks: run it through `outcomelens up`",
                503,
            )
        if name not in destinations.webhooks:
            shown = ", ".join(destinations.webhooks) or "none is configured: an admin adds one under Admin"
            raise SavedViewError("destination.name", f"no alert webhook named {name!r} (signed JSON webhooks: {shown})")
        target = name
    elif kind == "slack":
        target = destination.get("channel_id")
        if not isinstance(target, str) or not _SLACK_CHANNEL.match(target):
            raise SavedViewError(
                "destination.channel_id",
                "a Slack channel id such as C0123456789 (channel details → About, in Slack), not a #name",
            )
        if not destinations.slack:
            raise SavedViewError(
                "destination", "no Slack bot token is set: an admin sets one with PUT /v1/governance/slack", 409
            )
    else:
        raise SavedViewError("destination.kind", f"must be webhook or slack, got {kind!r}")
    view_id = body.get("view_id")
    if not isinstance(view_id, int) or isinstance(view_id, bool):
        raise SavedViewError("view_id", "required: the id of a saved view (own or shared)")
    return {
        "view_id": view_id,
        "frequency": frequency,
        "weekday": weekday,
        "hour": hour,
        "destination_kind": kind,
        "destination": target,
    }


# ---- storage -------------------------------------------------------------------------------------


def _rows(cur, where: str, params: tuple) -> list[Schedule]:
    cur.execute(f"select {_COLUMNS} from {_FROM} where {where} order by s.schedule_id", params)
    return [Schedule(*row) for row in cur.fetchall()]


def listed(connect, caller: str, role: str) -> list[Schedule]:
    """The caller's schedules; an admin's answer holds everyone's."""
    with transaction(connect) as conn, conn.cursor() as cur:
        return _rows(cur, "true", ()) if role == "admin" else _rows(cur, "s.owner_sub = %s", (caller,))


def create(
    connect, caller: str, role: str, source: str | None, body: dict, destinations: Callable[[object], Destinations]
) -> Schedule:
    if role not in ROLES:
        raise SavedViewError("role", f"unknown role {role!r}", 403)
    with transaction(connect) as conn:
        fields = check(body, destinations(conn))
        with conn.cursor() as cur:
            saved_views.find(cur, caller, fields["view_id"])  # own or shared, else 404
            cur.execute("select pg_advisory_xact_lock(hashtext('report_schedules:' || %s))", (caller,))
            cur.execute("select count(*) from ops.report_schedules where owner_sub = %s", (caller,))
            if cur.fetchone()[0] >= MAX_SCHEDULES_PER_OWNER:
                raise SavedViewError(
                    "view_id",
                    f"you have {MAX_SCHEDULES_PER_OWNER} report schedules, the most one may keep: delete some first",
                    409,
                )
            cur.execute(
                "insert into ops.report_schedules (view_id, owner_sub, owner_role, frequency, weekday, hour,"
                " destination_kind, destination) values (%(view_id)s, %(owner)s, %(role)s, %(frequency)s,"
                " %(weekday)s, %(hour)s, %(destination_kind)s, %(destination)s) returning schedule_id",
                {**fields, "owner": caller, "role": role},
            )
            schedule_id = cur.fetchone()[0]
            audit.record(cur, caller, "report_schedule.create", target=str(schedule_id), source=source, **fields)
            return _rows(cur, "s.schedule_id = %s", (schedule_id,))[0]


def delete(connect, caller: str, role: str, source: str | None, schedule_id: int) -> None:
    """The owner, or an admin, deletes a schedule; anyone else gets the 404 of one they cannot see."""
    with transaction(connect) as conn, conn.cursor() as cur:
        found = _rows(cur, "s.schedule_id = %s", (schedule_id,))
        if not found or (found[0].owner != caller and role != "admin"):
            raise SavedViewError("schedule_id", f"no report schedule {schedule_id} of yours", 404)
        cur.execute("delete from ops.report_schedules where schedule_id = %s", (schedule_id,))
        audit.record(
            cur, caller, "report_schedule.delete", target=str(schedule_id), source=source, owner=found[0].owner
        )


# ---- what the Dagster sensor and job use ---------------------------------------------------------


def due(connect, now: datetime) -> list[tuple[Schedule, datetime]]:
    """Every schedule due at `now`, with the due time to send."""
    with transaction(connect) as conn, conn.cursor() as cur:
        schedules = _rows(cur, "true", ())
    return [(s, t) for s in schedules if (t := due_time(s, now)) is not None]


def get(cur, schedule_id: int) -> Schedule | None:
    found = _rows(cur, "s.schedule_id = %s", (schedule_id,))
    return found[0] if found else None


def rendering_role(cur, schedule: Schedule) -> str:
    """The role the report is printed with: the owner's current role when the owner is a user (a role
    lowered since shows less, a disabled user's reports stop), else the role at creation."""
    cur.execute("select role, status from ops.users where user_id = %s", (schedule.owner,))
    row = cur.fetchone()
    if row is None:
        return schedule.owner_role
    role, status = row
    if status != "active":
        raise SavedViewError("owner", f"the schedule's owner {schedule.owner} is {status}: no report is sent", 409)
    return role


def still_visible(cur, schedule: Schedule) -> None:
    """The saved view is still the owner's or shared (it may have been unshared since)."""
    saved_views.find(cur, schedule.owner, schedule.view_id)


def record_sent(connect, schedule_id: int, due_at: datetime, error: str | None = None) -> None:
    """After a run: the due time served and when (or, failed, why; the due time is not retried:
    Dagster's run key for it is spent, and the op's retry policy already tried again)."""
    with transaction(connect) as conn, conn.cursor() as cur:
        if error is None:
            cur.execute(
                "update ops.report_schedules set last_due_at = %s, last_sent_at = now(), last_error = null"
                " where schedule_id = %s",
                (due_at, schedule_id),
            )
        else:
            cur.execute(
                "update ops.report_schedules set last_due_at = %s, last_error = %s where schedule_id = %s",
                (due_at, error[:500], schedule_id),
            )
