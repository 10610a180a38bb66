"""`outcomelens keys …`: ingestion keys (hashed) and provider API keys (encrypted)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ingestion.collector.keys import create_key, list_keys, revoke_key
from outcomelens.core.provider_keys import ProviderKeyError, ProviderKeyStore
from outcomelens.core.warehouse import ensure_warehouse

app = typer.Typer(help="Ingestion keys and provider API keys.", no_args_is_help=True)
ingestion_app = typer.Typer(help="Keys that let apps send data to the collector (stored as sha256 hashes).", no_args_is_help=True)
provider_app = typer.Typer(help="OpenAI / Anthropic / Gemini API keys for usage import (encrypted at rest).", no_args_is_help=True)
app.add_typer(ingestion_app, name="ingestion")
app.add_typer(provider_app, name="provider")
console = Console()


def _connection():
    return ensure_warehouse().connection()


@ingestion_app.command("create")
def ingestion_create(
    project: Annotated[str, typer.Option(help="The project this key sends data for.")] = "default",
    name: Annotated[str, typer.Option(help="A label, e.g. the sending app.")] = "default",
) -> None:
    """Create a key; it is printed once and only its hash is kept."""
    with _connection() as conn:
        key_id, key = create_key(conn, project, name)
    console.print(f"key id {key_id} for project {project!r} ({name}); keep this key, it is not shown again:", highlight=False)
    typer.echo(key)


@ingestion_app.command("list")
def ingestion_list() -> None:
    """Show key ids, projects and states (never the keys)."""
    with _connection() as conn:
        keys = list_keys(conn)
    table = Table("key id", "project", "name", "created", "state")
    for info in keys:
        table.add_row(info.key_id, info.project, info.name, str(info.created_at), "revoked" if info.revoked_at else "active")
    console.print(table)


@ingestion_app.command("revoke")
def ingestion_revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `list`.")]) -> None:
    """Revoke a key; the collector refuses it within seconds."""
    with _connection() as conn:
        done = revoke_key(conn, key_id)
    if not done:
        raise typer.BadParameter(f"no active key with id {key_id!r}", param_hint="KEY_ID")
    console.print(f"revoked {key_id}")


def _store():
    return ProviderKeyStore(ensure_warehouse().connect)


@provider_app.command("add")
def provider_add(
    provider: Annotated[str, typer.Argument(help="openai, anthropic or gemini")],
    name: Annotated[str, typer.Option()] = "default",
) -> None:
    """Add (or replace) a provider key; it is read from a hidden prompt or stdin, never from argv."""
    api_key = typer.prompt("API key", hide_input=True)
    try:
        info = _store().add(provider, name, api_key.strip())
    except ProviderKeyError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"stored {info.provider}/{info.name} (…{info.last4}), encrypted")


@provider_app.command("list")
def provider_list() -> None:
    """Provider, name, created_at and the last 4 characters — never the key."""
    table = Table("provider", "name", "created", "last 4")
    for info in _store().list():
        table.add_row(info.provider, info.name, str(info.created_at), "…" + info.last4)
    console.print(table)


@provider_app.command("remove")
def provider_remove(provider: str, name: Annotated[str, typer.Option()] = "default") -> None:
    """Remove a provider key."""
    if not _store().remove(provider, name):
        raise typer.BadParameter(f"no {provider} key named {name!r}")
    console.print(f"removed {provider}/{name}")
