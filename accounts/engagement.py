"""Dashboard page views (POST /v1/engagement): any signed-in user; who and which role come from the
verified token, never from the body. Cube records the queries it answers in the same table
(semantic_layer/engagement.js); dbt models both (stg_outcomelens__engagement_events, fct_engagement)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from outcomelens.core.warehouse import transaction


class PageViewIn(BaseModel):
    page: str = Field(min_length=1, max_length=200)
    view: str | None = Field(None, max_length=200)
    response_ms: float = Field(ge=0, le=3_600_000)


def record_event(
    cur, kind: str, user_sub: str, role: str, *, page: str | None, view: str | None, response_ms: float
) -> None:
    cur.execute(
        "insert into ops.engagement_events (kind, user_sub, role, page, view_name, response_ms)"
        " values (%s, %s, %s, %s, %s, %s)",
        (kind, user_sub, role, page, view, response_ms),
    )


def add_engagement_routes(app: FastAPI, settings) -> None:
    @app.post("/v1/engagement", status_code=204, summary="Record a dashboard page view (any signed-in user)")
    def page_view(body: PageViewIn, request: Request) -> None:
        principal = request.state.principal  # verified by app.py's guard before the body was read
        with transaction(settings.connect) as conn, conn.cursor() as cur:
            record_event(
                cur,
                "page_view",
                principal.sub,
                principal.role,
                page=body.page,
                view=body.view,
                response_ms=body.response_ms,
            )
