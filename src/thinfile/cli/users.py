"""``thinfile users add``: create an account from the command line (the first admin, staff).
``thinfile users sms-inbox``: the messages the sandbox SMS provider kept (sign-in codes)."""

from __future__ import annotations

from typing import Annotated

import typer

from thinfile.adapters import SandboxSmsSender
from thinfile.cli.service_settings import load_settings, open_database
from thinfile.errors import InvalidInputError
from thinfile.security.crypto import pii_cipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services.identity import create_user
from thinfile.services.identity_records import SYSTEM

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Accounts of staff, merchants and borrowers.", no_args_is_help=True)
    group.command("add")(add)
    group.command("sms-inbox")(sms_inbox)
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


def sms_inbox(
    phone: str | None = typer.Option(None, "--phone", help="Only messages to this number"),
    limit: int = typer.Option(10, "--limit", min=1, max=200, help="How many, newest first"),
) -> None:
    """Show what the sandbox SMS provider "delivered" (THINFILE_SMS_PROVIDER=sandbox)."""
    settings = load_settings()
    if settings.sms_provider != "sandbox":
        raise InvalidInputError(
            "only the sandbox SMS provider keeps its messages",
            field="THINFILE_SMS_PROVIDER",
            remedy="read the provider's own console",
        )
    with open_database(settings) as engine:
        messages = SandboxSmsSender(engine, pii_cipher(settings)).inbox(phone, limit=limit)
    for message in messages:
        typer.echo(f"{message.sent_at:%Y-%m-%d %H:%M:%S} {message.phone_masked} {message.body}")
    if not messages:
        typer.echo("no messages")
