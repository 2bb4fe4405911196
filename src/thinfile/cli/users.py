"""``thinfile users add``: create an account from the command line (the first admin, staff)."""

from __future__ import annotations

from typing import Annotated

import typer

from thinfile.cli.service_settings import load_settings, open_database
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services.identity import create_user
from thinfile.services.identity_records import SYSTEM

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Accounts of staff, merchants and borrowers.", no_args_is_help=True)
    group.command("add")(add)
    app.add_typer(group, name="users")


def add(
    email: str = typer.Option(..., "--email", help="Sign-in e-mail address"),
    role: Annotated[Role, typer.Option("--role", help="Role of the new account")] = Role.ADMIN,
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="THINFILE_NEW_USER_PASSWORD",
        help="Asked for when not given",
    ),
) -> None:
    """Create an account with ROLE (default: admin)."""
    settings = load_settings()
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
    )
    with open_database(settings) as engine:
        user = create_user(engine, hasher, email=email, password=password, role=role, actor=SYSTEM)
    typer.echo(f"created {user.role.value} {user.email} ({user.id})")
