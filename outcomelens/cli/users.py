"""`outcomelens users …`: the people who sign in, managed from this machine (each change audited
with the operating-system user as actor and "cli" as source)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from accounts import manage
from accounts.passwords import WeakPassword
from accounts.users import UserError
from outcomelens.cli.audited import SOURCE, actor, connect, refusal

app = typer.Typer(help="Users: add, list, set roles, disable, reset passwords.", no_args_is_help=True)
console = Console()


def _fail(exc: Exception) -> typer.Exit:
    return refusal(console, exc)


def _show_one_time(password: str | None) -> None:
    if password:
        console.print("one-time password (shown once; only its hash is kept):", highlight=False)
        typer.echo(password)


@app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The user's email: what they sign in with.")],
    role: Annotated[str, typer.Option(help="admin, product_manager, prompt_engineer, operations, engineer or enablement.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Add a user with a one-time password, printed once."""
    try:
        user, one_time = manage.add_user(connect(), actor(), SOURCE, email=email, name=name, role=role)
    except (UserError, WeakPassword) as exc:
        raise _fail(exc) from None
    console.print(f"added {user.email} ({user.role}), id {user.user_id}", highlight=False)
    _show_one_time(one_time)


@app.command("list")
def list_users() -> None:
    """Every user with role, status, created and last seen."""
    table = Table("id", "email", "name", "role", "status", "created", "last seen")
    for user in manage.list_users(connect()):
        table.add_row(user.user_id, user.email, user.name, user.role, user.status,
                      f"{user.created_at:%Y-%m-%d %H:%M}", f"{user.last_seen_at:%Y-%m-%d %H:%M}" if user.last_seen_at else "never")
    console.print(table)


@app.command("set-role")
def set_role(user: Annotated[str, typer.Argument(help="Email or id.")],
             role: Annotated[str, typer.Argument(help="The new role.")]) -> None:
    """Change a user's role (their next access token carries it)."""
    try:
        changed = manage.set_role(connect(), actor(), SOURCE, user, role)
    except UserError as exc:
        raise _fail(exc) from None
    console.print(f"{changed.email} is now {changed.role}", highlight=False)


@app.command("disable")
def disable(user: Annotated[str, typer.Argument(help="Email or id.")]) -> None:
    """Disable a user: sessions revoked at once, access tokens refused within a minute."""
    try:
        changed = manage.disable(connect(), actor(), SOURCE, user)
    except UserError as exc:
        raise _fail(exc) from None
    console.print(f"{changed.email} disabled", highlight=False)


@app.command("reset-password")
def reset_password(user: Annotated[str, typer.Argument(help="Email or id.")]) -> None:
    """Give a user a new one-time password, printed once; their sessions are revoked."""
    try:
        changed, one_time = manage.reset_password(connect(), actor(), SOURCE, user)
    except UserError as exc:
        raise _fail(exc) from None
    console.print(f"password of {changed.email} reset", highlight=False)
    _show_one_time(one_time)
