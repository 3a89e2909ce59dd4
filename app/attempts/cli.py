"""`flask attempts close-expired`: the periodic sweep for abandoned attempts.

Safe from cron or a scheduler while the app serves, and with itself: candidate rows
are taken with SKIP LOCKED (MariaDB/MySQL) and each attempt is closed by a
conditional UPDATE, so an attempt is closed and graded exactly once.
"""
import click
from flask import Flask
from flask.cli import AppGroup

from app.attempts.services import close_expired
from app.common.clock import utcnow

attempts_cli = AppGroup("attempts", help="Quiz attempt maintenance.")


@attempts_cli.command("close-expired")
@click.option("--batch", default=100, show_default=True, help="Attempts closed per transaction.")
def close_expired_command(batch: int) -> None:
    """Close and grade attempts whose deadline and grace period have passed."""
    closed = close_expired(utcnow(), batch=batch)
    click.echo(f"Closed {closed} expired attempt(s).")


def register(app: Flask) -> None:
    app.cli.add_command(attempts_cli)
