"""The `outcomelens` command line: one entry point for everything a user does."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from outcomelens.cli import alerts, docs, ingest, keys, users
from outcomelens.cli.demo import run_demo
from outcomelens.cli.pipeline import prepare_dbt
from outcomelens.cli.stack import READY_TIMEOUT_S, SERVICES, StackError, show_status, start_stack, stop_stack
from outcomelens.core.cube_server import CubeServerError
from outcomelens.core.keyring import cube_api_secret
from outcomelens.core.processes import SupervisionError
from outcomelens.core.tokens import MAX_SERVICE_TTL_S, TokenState, issue_service_token
from outcomelens.core.warehouse import ensure_warehouse

app = typer.Typer(
    help="OutcomeLens: which prompt version, config, model, capability, action or intent moved the outcome.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would print secrets and connection strings
)
# Piped output (CI logs, `make demo | tee`) gets room for the result tables instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 120)

DEFAULT_CUBE_PORT = 4000
DEFAULT_DAGSTER_PORT = 3000


@app.command()
def prepare() -> None:
    """Prepare the dbt manifest that the Dagster definitions load (run by `make setup`)."""
    prepare_dbt()
    console.print("dbt manifest ready")


@app.command()
def demo(
    size: Annotated[int, typer.Option(help="Number of demo conversations.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed and size, same data.")] = 42,
    cube_port: Annotated[int, typer.Option(help="Port for Cube if it is not already running.")] = DEFAULT_CUBE_PORT,
) -> None:
    """Generate demo data, run the whole pipeline through Dagster and read the answer from Cube."""
    run_demo(console, size=size, seed=seed, cube_port=cube_port)


@app.command()
def up(
    cube_port: Annotated[int, typer.Option()] = DEFAULT_CUBE_PORT,
    dagster_port: Annotated[int, typer.Option()] = DEFAULT_DAGSTER_PORT,
    only: Annotated[list[str] | None, typer.Option(help=f"Start just this service (repeatable): {', '.join(SERVICES)}.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every service to answer.")] = READY_TIMEOUT_S,
) -> None:
    """Start the warehouse and every service under supervision; return once each answers, with its URL."""
    unknown = set(only or ()) - set(SERVICES)
    if unknown:
        raise typer.BadParameter(f"unknown service {', '.join(sorted(unknown))}; expected {', '.join(SERVICES)}",
                                 param_hint="--only")
    try:
        start_stack(console, cube_port=cube_port, dagster_port=dagster_port, only=only, timeout_s=timeout)
    except (StackError, SupervisionError, CubeServerError) as exc:
        console.print(str(exc), markup=False, style="red")
        raise typer.Exit(code=1) from None


@app.command()
def down() -> None:
    """Stop what `up` or `demo` started: supervisord and every service it runs, then the embedded Postgres."""
    stop_stack(console)


@app.command()
def status() -> None:
    """Show each service: state, pid, uptime, restarts after a crash, health, address."""
    show_status(console)


@app.command()
def token(
    role: Annotated[str, typer.Option(help="Role claim: admin, product_manager, prompt_engineer, operations, engineer, enablement.")],
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds (at most 24 h unless --service).")] = 3600,
    admin: Annotated[bool, typer.Option("--admin", help="A token for the admin APIs (role admin) instead of a query token.")] = False,
    service: Annotated[bool, typer.Option("--service", help="Allow a lifetime over 24 h: the token is registered in the warehouse.")] = False,
) -> None:
    """Mint a service token (JWT) for Cube's APIs or, with --admin, the admin APIs, signed with this checkout's API secret."""
    if ttl > MAX_SERVICE_TTL_S and not service:
        raise typer.BadParameter(f"at most {MAX_SERVICE_TTL_S} s; pass --service for a longer-lived service token", param_hint="--ttl")
    state = TokenState(ensure_warehouse().connect) if service else None
    try:
        typer.echo(issue_service_token(role, cube_api_secret(), ttl, admin=admin, state=state))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from None


# Command groups live in their own modules; each registers here with one line.

app.add_typer(ingest.app, name="ingest")
app.add_typer(keys.app, name="keys")
app.add_typer(docs.app, name="docs")
app.add_typer(alerts.app, name="alerts")
app.add_typer(users.app, name="users")

if __name__ == "__main__":
    app()
