"""``flask --app app operators add|list|remove|set-password``: console accounts from the shell."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from posterbooth.console.accounts import (
    AccountError,
    add_operator,
    audit,
    list_operators,
    remove_operator,
    set_password,
)
from posterbooth.extensions import get_db
from posterbooth.models import OPERATOR_ROLES

operators_cli = AppGroup("operators", help="Console accounts: add, list, remove, set-password.")
SHELL = "(shell)"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@operators_cli.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(OPERATOR_ROLES), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
def add(name: str, role: str, password_stdin: bool) -> None:
    """Create an operator account."""
    try:
        add_operator(get_db(), name, role, _password(password_stdin))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit(get_db(), SHELL, "operator_add", target=name, detail=role)
    click.echo(f"added {name} ({role})")


@operators_cli.command("list")
def list_command() -> None:
    """List the operator accounts."""
    for name, role, created in list_operators(get_db()):
        click.echo(f"{name}\t{role}\t{created:%Y-%m-%d %H:%M}")


@operators_cli.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Delete an operator account (its sessions end)."""
    if not remove_operator(get_db(), name):
        raise click.ClickException(f"no operator named {name!r}")
    audit(get_db(), SHELL, "operator_remove", target=name)
    click.echo(f"removed {name}")


@operators_cli.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
def set_password_command(name: str, password_stdin: bool) -> None:
    """Change an operator's password (their sessions end)."""
    try:
        set_password(get_db(), name, _password(password_stdin))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit(get_db(), SHELL, "operator_password", target=name)
    click.echo(f"password of {name} changed")
