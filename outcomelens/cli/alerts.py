"""`outcomelens alerts`: webhooks for alert delivery, and delivering what is pending."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from analytics.alert_delivery import (
    add_webhook,
    deliver_configured,
    list_webhooks,
    remove_webhook,
)
from outcomelens.core.warehouse import ensure_warehouse

app = typer.Typer(help="Alert webhooks (generic signed JSON or Slack) and delivery.", no_args_is_help=True)
webhooks = typer.Typer(help="Webhooks alerts are delivered to.", no_args_is_help=True)
app.add_typer(webhooks, name="webhooks")
console = Console()
# A webhook URL is a credential: read from here or a hidden prompt, never from argv (visible to every user).
WEBHOOK_URL_ENV = "OUTCOMELENS_WEBHOOK_URL"


def _conn():
    return ensure_warehouse().connection()


@webhooks.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for this webhook.")],
    format: Annotated[str, typer.Option(help="json (signed with HMAC-SHA256) or slack.")] = "json",
    secret: Annotated[str, typer.Option(help="Signing secret for json webhooks; asked for when not given.",
                                        prompt=False, hide_input=True, envvar="OUTCOMELENS_WEBHOOK_SECRET")] = "",
) -> None:
    """Add (or replace) a webhook; its URL and secret are stored encrypted.

    The URL is read from OUTCOMELENS_WEBHOOK_URL or asked for (input hidden), never taken from argv:
    a Slack webhook URL is itself a credential, and a process's arguments are visible to every user."""
    url = os.environ.get(WEBHOOK_URL_ENV) or typer.prompt("Webhook URL", hide_input=True)
    if format == "json" and not secret:
        secret = typer.prompt("Signing secret", hide_input=True)
    try:
        with _conn() as conn:
            add_webhook(conn, name, url, format, secret or None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"webhook {name!r} ({format}) saved")


@webhooks.command("list")
def list_() -> None:
    """List webhooks: name, format, host and whether a secret is set (never the secret)."""
    with _conn() as conn:
        rows = list_webhooks(conn)
    table = Table("name", "format", "url", "secret", "from")
    for r in rows:
        table.add_row(r["name"], r["format"], r["url"], r["secret"], r["from"])
    console.print(table)


@webhooks.command("remove")
def remove(name: Annotated[str, typer.Argument()]) -> None:
    """Remove a webhook added with `add`."""
    with _conn() as conn:
        if not remove_webhook(conn, name):
            console.print(f"no webhook named {name!r}")
            raise typer.Exit(1)
    console.print(f"webhook {name!r} removed")


@app.command("deliver")
def deliver() -> None:
    """Deliver every pending alert (anomaly and data quality) now."""
    with _conn() as conn:
        counts = deliver_configured(conn)
    console.print(", ".join(f"{k}: {v}" for k, v in counts.items()))


@app.command("list")
def list_alerts(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """Recent alerts with their latest delivery status."""
    with _conn() as conn:
        with conn.cursor() as cur:
            cur.execute(
                """select a.created_at, a.source, a.severity, a.title,
                          coalesce(string_agg(distinct d.channel || ':' || d.status, ', '), '-')
                   from ops.alerts a left join ops.alert_deliveries d using (alert_id)
                   group by a.alert_id order by a.created_at desc limit %s""",
                (limit,),
            )
            rows = cur.fetchall()
    table = Table("created", "source", "severity", "title", "deliveries")
    for created, *rest in rows:
        # Titles carry ingested dimension values: shown as text, never read as Rich markup.
        table.add_row(created.strftime("%Y-%m-%d %H:%M"), *(escape(str(value)) for value in rest))
    console.print(table)
