"""`/docs` for our FastAPI services from assets installed with the package (swagger-ui-bundle).

FastAPI's own `/docs` page loads Swagger UI's script and stylesheet from a CDN, so it is blank on a
machine without internet (and leaks every page view to a third party)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS_PATH = "/docs/assets"


def create_app_with_local_docs(**fastapi_kwargs) -> FastAPI:
    """A FastAPI app whose `/docs` serves Swagger UI from this machine."""
    app = FastAPI(**fastapi_kwargs, docs_url=None, redoc_url=None)
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )

    return app
