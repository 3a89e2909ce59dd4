"""`flask notifications dispatch|remind|cleanup`: safe to run repeatedly and concurrently."""
import logging
from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup

from app.common.clock import utcnow
from app.common.db import commit
from app.extensions import db
from app.notifications import outbox, reminders, services

log = logging.getLogger(__name__)
group = AppGroup("notifications", help="Notification e-mail, reminders and cleanup.")


def register(app: Flask) -> None:
    app.cli.add_command(group)


@group.command("dispatch")
@click.option("--limit", default=100, show_default=True, help="Events claimed per batch.")
@click.option("--lease", default=300, show_default=True, help="Seconds a claimed event stays ours.")
@click.option("--max-attempts", default=5, show_default=True)
def dispatch(limit: int, lease: int, max_attempts: int) -> None:
    """E-mail high-priority notifications waiting in the outbox."""
    sent = failed = 0
    while True:
        claimed = outbox.claim_events(utcnow(), limit=limit, lease_seconds=lease, max_attempts=max_attempts)
        commit()
        if not claimed:
            break
        for event_id in claimed:
            try:
                sent += outbox.send_event(event_id)
                commit()
            except Exception as exc:  # keep the event for a later run
                db.session.rollback()
                log.warning("mail for notification event %s failed: %s", event_id, exc)
                outbox.record_failure(event_id, exc)
                commit()
                failed += 1
    click.echo(f"E-mails sent: {sent}; events failed: {failed}")


@group.command("remind")
@click.option("--starting-within", default=60, show_default=True, help="Minutes before a quiz opens.")
@click.option("--deadline-within", default=24 * 60, show_default=True, help="Minutes before a quiz closes.")
def remind(starting_within: int, deadline_within: int) -> None:
    """Create 'quiz starting soon' and 'deadline approaching' reminders, once per quiz."""
    now = utcnow()
    created = 0
    jobs = [(quiz, reminders.remind_starting) for quiz in reminders.quizzes_starting(
        now, timedelta(minutes=starting_within))]
    jobs += [(quiz, reminders.remind_closing) for quiz in reminders.quizzes_closing(
        now, timedelta(minutes=deadline_within))]
    for quiz, make in jobs:
        batch = make(quiz, now)
        commit()
        services.deliver(batch)
        created += len(batch.rows) if batch else 0
    click.echo(f"Reminders created: {created}")


@group.command("cleanup")
@click.option("--batch-size", default=1000, show_default=True)
def cleanup(batch_size: int) -> None:
    """Delete expired notifications."""
    now, deleted = utcnow(), 0
    while True:
        count = services.delete_expired(now, limit=batch_size)
        commit()
        deleted += count
        if count == 0:
            break
    click.echo(f"Expired notifications deleted: {deleted}")
