"""The experiment registry (ops.experiments, ops.experiment_variants; migration 0008): checked specs,
stored with an audit event. Used by the HTTP API (experiments_routes.py) and `outcomelens experiments`.

A spec is refused with the field named: arms need exactly one control and expected shares adding up
to 1; metrics must be measures of the semantic layer's attribution_daily cube (the experiments view),
since a metric is defined there and only named here.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date

from psycopg2.extras import Json

from accounts import audit
from accounts.refusals import FieldRefused
from outcomelens.core import semantic_layer
from outcomelens.core.warehouse import transaction

METRICS_CUBE = "attribution_daily"
WRITER_ROLES = ("admin", "prompt_engineer")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


class ExperimentError(FieldRefused):
    """A spec refused, naming its field (`field`), or an unknown / existing experiment."""


@dataclass(frozen=True)
class Variant:
    variant: str
    expected_share: float
    is_control: bool = False
    prompt_version: str | None = None
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    variants: tuple[Variant, ...]
    primary_metric: str
    starts_on: date
    guardrail_metrics: tuple[str, ...] = ()
    ends_on: date | None = None
    name: str = ""
    hypothesis: str = ""

    def public(self) -> dict:
        out = asdict(self)
        out["variants"] = [asdict(v) for v in self.variants]
        out["guardrail_metrics"] = list(self.guardrail_metrics)
        return json.loads(json.dumps(out, default=str))


def _metric(field_name: str, name: str) -> str:
    try:
        semantic_layer.measure(METRICS_CUBE, name)
    except semantic_layer.MeasureError as exc:
        raise ExperimentError(field_name, str(exc)) from None
    return name


def check(exp: Experiment) -> Experiment:
    """The spec, or ExperimentError naming the first wrong field."""
    if not _ID.match(exp.experiment_id):
        raise ExperimentError("experiment_id", "1–100 letters, digits or _ . : -")
    if len(exp.variants) < 2:
        raise ExperimentError("variants", "at least two arms are required")
    names = [v.variant for v in exp.variants]
    if len(set(names)) != len(names) or not all(names):
        raise ExperimentError("variants", "arm names must be unique and not empty")
    if sum(v.is_control for v in exp.variants) != 1:
        raise ExperimentError("variants", "exactly one arm must be the control (is_control)")
    for i, v in enumerate(exp.variants):
        if not 0 < v.expected_share < 1:
            raise ExperimentError(f"variants[{i}].expected_share", f"must be in (0, 1), got {v.expected_share!r}")
    total = sum(v.expected_share for v in exp.variants)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ExperimentError("variants", f"expected shares must add up to 1, got {total:g}")
    _metric("primary_metric", exp.primary_metric)
    for i, m in enumerate(exp.guardrail_metrics):
        _metric(f"guardrail_metrics[{i}]", m)
    if exp.ends_on is not None and exp.ends_on < exp.starts_on:
        raise ExperimentError("ends_on", "must not be before starts_on")
    return exp


def add(connect, actor: str, source: str | None, exp: Experiment) -> Experiment:
    check(exp)
    with transaction(connect) as conn, conn.cursor() as cur:
        cur.execute("select 1 from ops.experiments where experiment_id = %s", (exp.experiment_id,))
        if cur.fetchone():
            raise ExperimentError("experiment_id", f"experiment {exp.experiment_id!r} exists", status=409)
        cur.execute(
            "insert into ops.experiments (experiment_id, name, hypothesis, primary_metric, guardrail_metrics,"
            " starts_on, ends_on, created_by) values (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                exp.experiment_id,
                exp.name,
                exp.hypothesis,
                exp.primary_metric,
                list(exp.guardrail_metrics),
                exp.starts_on,
                exp.ends_on,
                actor,
            ),
        )
        for v in exp.variants:
            cur.execute(
                "insert into ops.experiment_variants (experiment_id, variant, is_control, expected_share,"
                " prompt_version, config) values (%s, %s, %s, %s, %s, %s)",
                (exp.experiment_id, v.variant, v.is_control, v.expected_share, v.prompt_version, Json(v.config)),
            )
        audit.record(cur, actor, "experiment.add", target=exp.experiment_id, source=source)
    return exp


def end(connect, actor: str, source: str | None, experiment_id: str, ends_on: date) -> Experiment:
    current = get(connect, experiment_id)
    if ends_on < current.starts_on:
        raise ExperimentError("ends_on", "must not be before starts_on")
    with transaction(connect) as conn, conn.cursor() as cur:
        cur.execute(
            "update ops.experiments set ends_on = %s, updated_at = now() where experiment_id = %s",
            (ends_on, experiment_id),
        )
        audit.record(cur, actor, "experiment.end", target=experiment_id, source=source, ends_on=str(ends_on))
    return get(connect, experiment_id)


def list_all(connect) -> list[Experiment]:
    with transaction(connect) as conn, conn.cursor() as cur:
        cur.execute(
            "select experiment_id, name, hypothesis, primary_metric, guardrail_metrics, starts_on, ends_on"
            " from ops.experiments order by starts_on, experiment_id"
        )
        heads = cur.fetchall()
        cur.execute(
            "select experiment_id, variant, expected_share, is_control, prompt_version, config"
            " from ops.experiment_variants order by experiment_id, not is_control, variant"
        )
        arms: dict[str, list[Variant]] = {}
        for eid, variant, share, control, version, config in cur.fetchall():
            arms.setdefault(eid, []).append(Variant(variant, share, control, version, config or {}))
    return [
        Experiment(eid, tuple(arms.get(eid, ())), primary, starts, tuple(guardrails or ()), ends, name, hypothesis)
        for eid, name, hypothesis, primary, guardrails, starts, ends in heads
    ]


def get(connect, experiment_id: str) -> Experiment:
    found = [e for e in list_all(connect) if e.experiment_id == experiment_id]
    if not found:
        raise ExperimentError("experiment_id", f"no experiment {experiment_id!r}", status=404)
    return found[0]
