"""`outcomelens experiments …`: the experiment registry from this machine (each change audited with the
operating-system user as actor and "cli" as source). The same checks as the API (accounts/experiments.py)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from accounts import experiments
from outcomelens.cli.audited import SOURCE, actor, connect, refusal

app = typer.Typer(help="Experiments: register, list, show, end.", no_args_is_help=True)
console = Console()


def _fail(exc: Exception) -> typer.Exit:
    return refusal(console, exc)


def _day(value: str, option: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=option) from None


def _variant(spec: str, control: str) -> experiments.Variant:
    """NAME=SHARE[:PROMPT_VERSION], e.g. treatment=0.5:sales_agent.v2."""
    name, _, rest = spec.partition("=")
    share, _, version = rest.partition(":")
    try:
        value = float(share)
    except ValueError:
        raise typer.BadParameter(
            f"expected NAME=SHARE[:PROMPT_VERSION], got {spec!r}", param_hint="--variant"
        ) from None
    return experiments.Variant(name.strip(), value, name.strip() == control, version or None)


@app.command("add")
def add(
    experiment_id: Annotated[str, typer.Argument(help="The id the data carries, e.g. exp_sales_prompt.")],
    variant: Annotated[list[str], typer.Option(help="NAME=SHARE[:PROMPT_VERSION], once per arm.")],
    primary_metric: Annotated[str, typer.Option(help="A measure of the experiments view, e.g. conversion_rate.")],
    starts_on: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    guardrail: Annotated[list[str], typer.Option(help="A guardrail measure; repeat for more.")] = [],  # noqa: B006
    ends_on: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (open when left out).")] = None,
    control: Annotated[str, typer.Option(help="The control arm's name.")] = "control",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    hypothesis: Annotated[str, typer.Option(help="What the treatment should change.")] = "",
) -> None:
    """Register an experiment."""
    spec = experiments.Experiment(
        experiment_id,
        tuple(_variant(v, control) for v in variant),
        primary_metric,
        _day(starts_on, "--starts-on"),
        tuple(guardrail),
        _day(ends_on, "--ends-on") if ends_on else None,
        name,
        hypothesis,
    )
    try:
        experiments.add(connect(), actor(), SOURCE, spec)
    except experiments.ExperimentError as exc:
        raise _fail(exc) from None
    console.print(f"registered {experiment_id} ({len(spec.variants)} arms)", highlight=False)


@app.command("list")
def list_experiments() -> None:
    """Every registered experiment with arms, expected split, metrics and period."""
    table = Table("id", "arms (expected share)", "primary", "guardrails", "starts", "ends")
    for e in experiments.list_all(connect()):
        arms = ", ".join(f"{v.variant}{'*' if v.is_control else ''} {v.expected_share:g}" for v in e.variants)
        table.add_row(
            e.experiment_id,
            arms,
            e.primary_metric,
            ", ".join(e.guardrail_metrics),
            str(e.starts_on),
            str(e.ends_on or ""),
        )
    console.print(table)


@app.command("show")
def show(experiment_id: str) -> None:
    """One experiment as JSON."""
    try:
        typer.echo(json.dumps(experiments.get(connect(), experiment_id).public(), indent=2))
    except experiments.ExperimentError as exc:
        raise _fail(exc) from None


@app.command("end")
def end(experiment_id: str, on: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD.")]) -> None:
    """Set the last day of an experiment."""
    try:
        experiments.end(connect(), actor(), SOURCE, experiment_id, _day(on, "--on"))
    except experiments.ExperimentError as exc:
        raise _fail(exc) from None
    console.print(f"{experiment_id} ends on {on}", highlight=False)
