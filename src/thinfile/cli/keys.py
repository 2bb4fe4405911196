"""``thinfile keys reencrypt``: re-seal personal data under the active key after a rotation."""

from __future__ import annotations

import typer

from thinfile.cli.service_settings import load_settings, open_database
from thinfile.security.crypto import pii_cipher
from thinfile.services.identity_keys import reencrypt_personal_data

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Keys that protect personal data.", no_args_is_help=True)
    group.command("reencrypt")(reencrypt)
    app.add_typer(group, name="keys")


def reencrypt(
    batch_size: int = typer.Option(200, "--batch-size", min=1, help="Rows per transaction"),
) -> None:
    """Re-encrypt every applicant not yet under THINFILE_PII_ACTIVE_KEY_ID."""
    settings = load_settings()
    with open_database(settings) as engine:
        done = reencrypt_personal_data(engine, pii_cipher(settings), batch_size=batch_size)
    typer.echo(f"re-encrypted {done} applicant(s) under key {settings.pii_active_key_id!r}")
