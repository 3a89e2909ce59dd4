"""Operator commands: `flask create-admin`, `flask seed-demo`, `flask purge-idempotency-keys`."""
import click
from flask import Flask
from sqlalchemy import select

from app.auth.passwords import check_password_policy, hash_password
from app.auth.services import find_user_by_email, set_password
from app.common.audit import record_audit
from app.common.clock import utcnow
from app.common.db import commit
from app.common.idempotency import purge_expired_keys
from app.errors import DomainError
from app.extensions import db
from app.users.models import User


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(purge_idempotency_keys)


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="Administrator", show_default=True)
def create_admin(email: str, password: str, name: str) -> None:
    """Create an administrator account (or reset the password of an existing one)."""
    try:
        check_password_policy(password)
    except DomainError as exc:
        raise click.ClickException(f"{exc.message}: {exc.details}") from exc
    user = find_user_by_email(email)
    if user is not None and user.role != "admin":
        raise click.ClickException(f"{user.email} exists and is not an admin")
    if user is None:
        user = User(email=email, name=name, role="admin", is_active=True, is_email_verified=True,
                    password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
        record_audit(None, "admin_created", "user", user.id, new={"email": user.email})
    else:  # a reset like any other: the old password's tokens and live sockets end
        set_password(user, password, actor=None, action="admin_password_reset")
    commit()
    click.echo(f"Admin ready: {user.email}")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo(if_empty: bool) -> None:
    """Fill the database with a small realistic school and print the demo logins."""
    from app.demo import DEMO_LOGINS, seed_school

    if if_empty and db.session.scalar(select(User.id).limit(1)):
        click.echo("Database already has data; demo seed skipped.")
    else:
        seed_school()
        commit()
        click.echo("Demo school created.")
    click.echo("Demo logins (e-mail or registration number / password):")
    for role, login, password in DEMO_LOGINS:
        click.echo(f"  {role:<10} {login:<28} {password}")


@click.command("purge-idempotency-keys")
@click.option("--batch-size", default=1000, show_default=True)
def purge_idempotency_keys(batch_size: int) -> None:
    """Delete the stored responses of Idempotency-Keys older than 24 hours."""
    now, deleted = utcnow(), 0
    while count := purge_expired_keys(now, limit=batch_size):
        commit()
        deleted += count
    commit()
    click.echo(f"Expired idempotency keys deleted: {deleted}")
