"""`flask auth purge-tokens`: forget token state nobody can use any more.

Blocklisted access tokens matter only until they expire; refresh tokens and reset
codes only until they expire too. Safe to run from cron while the app serves.
"""
import click
from flask import Flask
from flask.cli import AppGroup

from app.auth.tokens import purge_expired_tokens
from app.common.clock import utcnow
from app.common.db import commit

auth_cli = AppGroup("auth", help="Authentication maintenance.")


@auth_cli.command("purge-tokens")
def purge_tokens_command() -> None:
    """Delete expired blocklist entries, refresh tokens and reset codes."""
    counts = purge_expired_tokens(utcnow())
    commit()
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()) + " deleted.")


def register(app: Flask) -> None:
    app.cli.add_command(auth_cli)
