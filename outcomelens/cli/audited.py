"""What the CLI's audited admin commands (`users`, `experiments`) share: who acts (the operating-system
user, source "cli"), the warehouse they change, and how a refusal is shown."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console
from rich.markup import escape

from outcomelens.core.warehouse import ensure_warehouse

SOURCE = "cli"


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def connect():
    """A function opening a new connection to the warehouse, as the accounts package expects."""
    return ensure_warehouse().connect


def refusal(console: Console, exc: Exception) -> typer.Exit:
    # The reason can quote what the user typed: shown as text, never read as Rich markup.
    console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
    return typer.Exit(1)
