"""/v1/saved-views: any signed-in user (app.py's guard verified the token before the body was read)
lists their own views and the team's shared ones, saves, changes and deletes their own. A refusal
names its field ({"detail": {"field", "message"}}); every change is one audit event."""

from __future__ import annotations

from fastapi import FastAPI, Request
from pydantic import BaseModel

from accounts import saved_views
from accounts.callers import source_of
from accounts.refusals import as_http
from accounts.saved_views import SavedViewError
from outcomelens.core.warehouse import transaction


class SavedViewIn(BaseModel):
    # Types only: saved_views.check_* say what is wrong, naming the field.
    name: str
    href: str
    shared: bool = False


class SavedViewChange(BaseModel):
    name: str | None = None
    href: str | None = None
    shared: bool | None = None


def add_saved_view_routes(app: FastAPI, settings) -> None:
    connect = settings.connect

    @app.get("/v1/saved-views", summary="Your saved views and those shared with the team")
    def list_views(request: Request) -> list[dict]:
        sub = request.state.principal.sub
        with transaction(connect) as conn, conn.cursor() as cur:
            return [v.public(sub) for v in saved_views.visible(cur, sub)]

    @app.post("/v1/saved-views", status_code=201, summary="Save a view: a name and a dashboard link")
    def create_view(body: SavedViewIn, request: Request) -> dict:
        sub = request.state.principal.sub
        try:
            view = saved_views.create(connect, sub, source_of(request), body.name, body.href, body.shared)
        except SavedViewError as exc:
            raise as_http(exc) from None
        return view.public(sub)

    @app.patch("/v1/saved-views/{view_id}", summary="Rename, re-link or (un)share one of your views")
    def change_view(view_id: int, body: SavedViewChange, request: Request) -> dict:
        sub = request.state.principal.sub
        try:
            view = saved_views.update(connect, sub, source_of(request), view_id, **body.model_dump())
        except SavedViewError as exc:
            raise as_http(exc) from None
        return view.public(sub)

    @app.delete(
        "/v1/saved-views/{view_id}",
        status_code=204,
        summary="Delete one of your views (and the report schedules made on it)",
    )
    def delete_view(view_id: int, request: Request) -> None:
        try:
            saved_views.delete(connect, request.state.principal.sub, source_of(request), view_id)
        except SavedViewError as exc:
            raise as_http(exc) from None
