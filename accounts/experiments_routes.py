"""/v1/experiments: the experiment registry over HTTP. Any signed-in role reads; admin and
prompt_engineer write (accounts/experiments.py checks every field, and a refusal names it)."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from accounts import experiments
from accounts.callers import bearer, source_of
from accounts.refusals import as_http
from outcomelens.core.tokens import TokenRefused


class VariantIn(BaseModel):
    variant: str = Field(min_length=1, max_length=100)
    expected_share: float
    is_control: bool = False
    prompt_version: str | None = None
    config: dict = Field(default_factory=dict, description="The model configuration of the arm.")


class ExperimentIn(BaseModel):
    experiment_id: str
    variants: list[VariantIn]
    primary_metric: str
    starts_on: date
    guardrail_metrics: list[str] = Field(default_factory=list)
    ends_on: date | None = None
    name: str = Field("", max_length=200)
    hypothesis: str = Field("", max_length=2000)

    def spec(self) -> experiments.Experiment:
        variants = tuple(experiments.Variant(**v.model_dump()) for v in self.variants)
        return experiments.Experiment(
            **{**self.model_dump(), "variants": variants, "guardrail_metrics": tuple(self.guardrail_metrics)}
        )


class EndIn(BaseModel):
    ends_on: date


def add_experiment_routes(app: FastAPI, settings, verifier) -> None:
    connect = settings.connect

    def caller(request: Request, *, write: bool):
        try:
            principal = verifier.verify(bearer(request))
        except TokenRefused as refused:
            raise HTTPException(
                refused.status, f"token refused: {refused.reason}", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        if write and principal.role not in experiments.WRITER_ROLES:
            raise HTTPException(
                403, f"role {principal.role!r} may not change experiments; {' or '.join(experiments.WRITER_ROLES)} only"
            )
        return principal

    @app.get("/v1/experiments", summary="The registered experiments")
    def list_experiments(request: Request) -> list[dict]:
        caller(request, write=False)
        return [e.public() for e in experiments.list_all(connect)]

    @app.get("/v1/experiments/{experiment_id}", summary="One registered experiment")
    def show(experiment_id: str, request: Request) -> dict:
        caller(request, write=False)
        try:
            return experiments.get(connect, experiment_id).public()
        except experiments.ExperimentError as exc:
            raise as_http(exc) from None

    @app.post("/v1/experiments", status_code=201, summary="Register an experiment")
    def add(body: ExperimentIn, request: Request) -> dict:
        principal = caller(request, write=True)
        try:
            return experiments.add(connect, principal.sub, source_of(request), body.spec()).public()
        except experiments.ExperimentError as exc:
            raise as_http(exc) from None

    @app.post("/v1/experiments/{experiment_id}/end", summary="Set the end date of an experiment")
    def end(experiment_id: str, body: EndIn, request: Request) -> dict:
        principal = caller(request, write=True)
        try:
            return experiments.end(connect, principal.sub, source_of(request), experiment_id, body.ends_on).public()
        except experiments.ExperimentError as exc:
            raise as_http(exc) from None
