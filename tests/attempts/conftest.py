"""Helpers for attempt tests, over the shared `school` fixture (tests/conftest.py)."""
from contextlib import contextmanager

from tests.factories import make_quiz


def quiz_for(school, *, questions=None, **kw):
    q = school.q
    return make_quiz(school.teacher_a, questions=questions if questions is not None else [q.mcq, q.tf, q.short],
                     classes=[school.class_a], **kw)


def start(client, quiz, user):
    from tests.factories import auth

    return client.post(f"/api/quizzes/{quiz.id}/start", headers=auth(user))


@contextmanager
def captured(signal):
    """The payloads `signal` sends inside the block (only this receiver is removed after)."""
    received = []

    def receiver(_sender, **payload):
        received.append(payload)

    signal.connect(receiver)
    try:
        yield received
    finally:
        signal.disconnect(receiver)
