"""Saved views (ops.saved_views; migration 0010): a named dashboard link per user, shared with the
team (every signed-in user) or not. Used by /v1/saved-views (saved_views_routes.py).

A saved view is a link someone else may open from a menu, so its href is checked like a redirect
target: a relative path to one of the dashboard's pages with a query string of URL characters only —
never another site (`//evil.example`, `https:`), never a non-page route (`/signout`, `/export/...`).
What the link shows is still decided by the token of whoever opens it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from accounts import audit
from accounts.refusals import FieldRefused
from outcomelens.core.warehouse import transaction

# The dashboard's pages (dashboard/app.py PAGE_MODULES; tests/unit/test_saved_views.py keeps them equal).
DASHBOARD_PAGES = ("overview", "experiments", "prompts", "drilldown", "anomalies", "admin")
MAX_HREF = 2000
MAX_VIEWS_PER_OWNER = 200
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.,:()'\- ]{0,99}$")
# RFC 3986's query characters (unreserved, sub-delims, ":", "@", "/", "?", percent escapes), without
# quotes and angle brackets: what the dashboard's own links hold (filters.to_query).
_QUERY = re.compile(r"^[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$")
_COLUMNS = "v.view_id, v.owner_sub, u.email, v.name, v.href, v.shared, v.created_at, v.updated_at"
_FROM = "ops.saved_views v left join ops.users u on u.user_id = v.owner_sub"


class SavedViewError(FieldRefused):
    """A request refused, naming its field (`field`), with the HTTP status that says why."""


@dataclass(frozen=True)
class SavedView:
    view_id: int
    owner: str
    owner_email: str | None
    name: str
    href: str
    shared: bool
    created_at: datetime
    updated_at: datetime

    @property
    def page(self) -> str:
        return urlsplit(self.href).path.strip("/")

    def public(self, caller: str) -> dict:
        return {
            "id": self.view_id,
            "name": self.name,
            "href": self.href,
            "page": self.page,
            "shared": self.shared,
            "owner": self.owner,
            "owner_email": self.owner_email,
            "mine": self.owner == caller,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def check_name(name: object) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not _NAME.match(text):
        raise SavedViewError(
            "name", "1–100 characters: letters, digits, spaces and _ . , : ( ) ' -, starting with a letter or digit"
        )
    return text


def check_href(href: object) -> str:
    """A relative link to a dashboard page, or SavedViewError naming `href`."""
    if not isinstance(href, str) or not href:
        raise SavedViewError("href", "required: the view's link, e.g. /overview?range=7D")
    if len(href) > MAX_HREF:
        raise SavedViewError("href", f"at most {MAX_HREF} characters, got {len(href)}")
    if not href.startswith("/") or href.startswith(("//", "/\\")) or "\\" in href:
        raise SavedViewError("href", "must be a relative dashboard path starting with one '/' (no other site)")
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or parts.fragment or "#" in href:
        raise SavedViewError("href", "must be a relative dashboard path with a query string only")
    page = parts.path.strip("/")
    if parts.path not in (f"/{page}", f"/{page}/") or page not in DASHBOARD_PAGES:
        raise SavedViewError(
            "href", f"the path must be one of the dashboard's pages: {', '.join('/' + p for p in DASHBOARD_PAGES)}"
        )
    if not _QUERY.match(parts.query):
        raise SavedViewError(
            "href",
            "the query string holds characters a dashboard link never has (spaces, quotes, < >): percent-encode them",
        )
    return href


def _row(row) -> SavedView:
    return SavedView(*row)


def visible(cur, caller: str) -> list[SavedView]:
    """The caller's own views and every shared one, own first, by name."""
    cur.execute(
        f"select {_COLUMNS} from {_FROM} where v.owner_sub = %s or v.shared"
        " order by v.owner_sub <> %s, lower(v.name), v.view_id",
        (caller, caller),
    )
    return [_row(r) for r in cur.fetchall()]


def find(cur, caller: str, view_id: int) -> SavedView:
    """A view the caller may see (own or shared); 404 otherwise, without saying whether it exists."""
    cur.execute(
        f"select {_COLUMNS} from {_FROM} where v.view_id = %s and (v.owner_sub = %s or v.shared)", (view_id, caller)
    )
    row = cur.fetchone()
    if row is None:
        raise SavedViewError("view_id", f"no saved view {view_id} that you may see", 404)
    return _row(row)


def _name_taken(cur, owner: str, name: str, other_than: int | None = None) -> None:
    cur.execute(
        "select view_id from ops.saved_views where owner_sub = %s and name = %s and view_id is distinct from %s",
        (owner, name, other_than),
    )
    taken = cur.fetchone()
    if taken:
        raise SavedViewError(
            "name",
            f"you already have a saved view named {name!r} (id {taken[0]}): choose another name or update that one",
            409,
        )


def create(connect, caller: str, source: str | None, name: object, href: object, shared: bool) -> SavedView:
    name, href = check_name(name), check_href(href)
    with transaction(connect) as conn, conn.cursor() as cur:
        # One owner's saves are serialised, so the cap and the name check cannot be raced past.
        cur.execute("select pg_advisory_xact_lock(hashtext('saved_views:' || %s))", (caller,))
        cur.execute("select count(*) from ops.saved_views where owner_sub = %s", (caller,))
        if cur.fetchone()[0] >= MAX_VIEWS_PER_OWNER:
            raise SavedViewError(
                "name", f"you have {MAX_VIEWS_PER_OWNER} saved views, the most one may keep: delete some first", 409
            )
        _name_taken(cur, caller, name)
        cur.execute(
            "insert into ops.saved_views (owner_sub, name, href, shared) values (%s, %s, %s, %s) returning view_id",
            (caller, name, href, bool(shared)),
        )
        view_id = cur.fetchone()[0]
        audit.record(
            cur,
            caller,
            "saved_view.create",
            target=str(view_id),
            source=source,
            name=name,
            href=href,
            shared=bool(shared),
        )
        return find(cur, caller, view_id)


def _owned(cur, caller: str, view_id: int, doing: str) -> SavedView:
    view = find(cur, caller, view_id)
    if view.owner != caller:
        raise SavedViewError(
            "view_id", f"only its owner ({view.owner_email or view.owner}) may {doing} saved view {view_id}", 403
        )
    return view


def update(
    connect,
    caller: str,
    source: str | None,
    view_id: int,
    *,
    name: object = None,
    href: object = None,
    shared: bool | None = None,
) -> SavedView:
    with transaction(connect) as conn, conn.cursor() as cur:
        view = _owned(cur, caller, view_id, "change")
        name = view.name if name is None else check_name(name)
        href = view.href if href is None else check_href(href)
        shared = view.shared if shared is None else bool(shared)
        _name_taken(cur, caller, name, other_than=view_id)
        cur.execute(
            "update ops.saved_views set name = %s, href = %s, shared = %s, updated_at = now() where view_id = %s",
            (name, href, shared, view_id),
        )
        audit.record(
            cur, caller, "saved_view.update", target=str(view_id), source=source, name=name, href=href, shared=shared
        )
        return find(cur, caller, view_id)


def delete(connect, caller: str, source: str | None, view_id: int) -> None:
    with transaction(connect) as conn, conn.cursor() as cur:
        view = _owned(cur, caller, view_id, "delete")
        cur.execute("select count(*) from ops.report_schedules where view_id = %s", (view_id,))
        schedules = cur.fetchone()[0]
        cur.execute("delete from ops.saved_views where view_id = %s", (view_id,))  # its schedules cascade
        audit.record(
            cur,
            caller,
            "saved_view.delete",
            target=str(view_id),
            source=source,
            name=view.name,
            schedules_removed=schedules,
        )
