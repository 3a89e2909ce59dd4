"""Outgoing mail, sent only after the unit of work commits.

Without MAIL_SERVER the message is written to the log (development), so a reset
code or claim code can still be read there.
"""
import logging

from flask import current_app
from flask_mail import Message

from app.common import events
from app.extensions import mail

log = logging.getLogger(__name__)


def send_now(to: str, subject: str, body: str) -> None:
    message = Message(subject=subject, recipients=[to], body=body)
    if current_app.config.get("MAIL_SUPPRESS_SEND") and not current_app.testing:
        log.info("mail (not sent, no MAIL_SERVER) to=%s subject=%s body=%s", to, subject, body)
    mail.send(message)


def send_after_commit(to: str, subject: str, body: str) -> None:
    events.after_commit(send_now, to, subject, body)


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))
