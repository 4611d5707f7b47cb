"""`schakel users`: accounts and API keys for scripts and the browser."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from schakel.errors import StoreError
from schakel.graph.model import Member

from .access import ROLES, AccessStore, AccountError, open_access
from .cli import _open, _settings, app, console

users = typer.Typer(help="Accounts en API-sleutels (rollen: member, staff, admin).",
                    no_args_is_help=True)
app.add_typer(users, name="users")


def _access() -> AccessStore:
    """Where the server looks: access.sqlite in the data dir, or the Neo4j database."""
    try:
        return open_access(_settings())
    except StoreError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e


@users.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Accountnaam, bijvoorbeeld 'anna-regiebureau'.")],
    role: Annotated[str, typer.Option("--role", "-r",
                                      help=f"Rol: {', '.join(ROLES)}.")] = "member",
    member: Annotated[str | None, typer.Option(
        "--member", "-m", help="Lid-id waar een lidaccount bij hoort.")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Bestaand account een nieuwe sleutel geven.")] = False,
) -> None:
    """Maak een account en toon de API-sleutel (eenmalig; bewaard wordt alleen een hash)."""
    if member:
        settings = _settings()
        store = _open(settings)
        try:
            if not isinstance(store.get(member), Member):
                console.print(f"[red]Onbekend lid: {member!r}[/red]")
                raise typer.Exit(2)
        finally:
            store.close()
    access = _access()
    try:
        key = access.add_user(name, role, member, replace=replace)
    except AccountError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    finally:
        access.close()
    console.print(f"Account [bold]{name}[/bold] ({role}) gemaakt. Sleutel (wordt niet "
                  "nog eens getoond):")
    typer.echo(key)  # stdout alone, so scripts can capture it


@users.command("list")
def list_() -> None:
    """Toon de accounts (zonder sleutels)."""
    access = _access()
    try:
        table = Table(title="Accounts")
        for col in ("naam", "rol", "lid"):
            table.add_column(col)
        for u in access.users():
            table.add_row(u.user, u.role, u.member_id or "")
        console.print(table)
    finally:
        access.close()


@users.command("remove")
def remove(name: Annotated[str, typer.Argument(help="Accountnaam.")]) -> None:
    """Verwijder een account; de sleutel werkt daarna niet meer."""
    access = _access()
    try:
        if not access.remove_user(name):
            console.print(f"[red]Geen account {name!r}.[/red]")
            raise typer.Exit(1)
    finally:
        access.close()
    console.print(f"Account {name} verwijderd.")


def demo_keys(access: AccessStore, member_id: str | None) -> dict[str, str]:
    """Fresh keys for the demo's staff and member accounts (new ones every start)."""
    keys = {"staff": access.add_user("demo-regiebureau", "staff", replace=True)}
    if member_id:
        keys["member"] = access.add_user("demo-lid", "member", member_id, replace=True)
    return keys
