"""`flask notifications dispatch|remind|cleanup`, each safe to repeat and to run concurrently."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.common.clock import utcnow
from app.common.db import commit
from app.extensions import db, mail
from app.notifications import outbox, reminders
from app.notifications.models import Notification, NotificationEvent
from tests.factories import make_attempt, make_class, make_quiz, make_student, make_teacher
from tests.notifications.helpers import all_events, give, notifications_of


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["notifications", *args])
    assert result.exit_code == 0, result.output
    return result.output


# --- e-mail outbox --------------------------------------------------------------------

def test_dispatch_e_mails_high_priority_notifications_once(app):
    alice, bob = make_student(), make_student()
    give(alice, "attempt_reset", context={"additional_attempts": 1, "quiz_title": "Q", "reason": "r"})
    give(bob)  # low priority: in-app only
    with mail.record_messages() as outbox_:
        assert "E-mails sent: 1;" in run(app, "dispatch")
        assert "E-mails sent: 0;" in run(app, "dispatch")
    (message,) = outbox_
    assert message.recipients == [alice.email] and message.subject == "Quiz Attempt Reset"
    sent = db.session.scalar(select(NotificationEvent).where(NotificationEvent.email_required.is_(True)))
    assert sent.email_sent_at is not None and sent.processed is True and sent.email_attempts == 1


def test_a_claimed_event_cannot_be_claimed_by_a_second_dispatcher(app):
    give(make_student(), "attempt_reset", context={"additional_attempts": 1, "quiz_title": "Q", "reason": "r"})
    now = utcnow()
    first = outbox.claim_events(now, limit=10, lease_seconds=300, max_attempts=5)
    commit()
    second = outbox.claim_events(now, limit=10, lease_seconds=300, max_attempts=5)
    assert len(first) == 1 and second == []


def test_a_failed_send_is_recorded_and_retried_after_the_back_off(app, monkeypatch):
    from app.common import clock

    give(make_student(), "attempt_reset", context={"additional_attempts": 1, "quiz_title": "Q", "reason": "r"})

    def broken(_event_id):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(outbox, "send_event", broken)
    assert "events failed: 1" in run(app, "dispatch")
    event = all_events()[0]
    assert event.last_error == "ConnectionError: smtp down" and event.email_sent_at is None
    monkeypatch.undo()
    assert "E-mails sent: 0;" in run(app, "dispatch")  # still backing off
    clock.set_frozen(utcnow() + timedelta(minutes=5))
    with mail.record_messages() as sent:
        assert "E-mails sent: 1;" in run(app, "dispatch")
    assert len(sent) == 1


# --- reminders ------------------------------------------------------------------------

def reminder_setup(**quiz_kw):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    quiz = make_quiz(teacher, classes=[school_class], title="Physics", **quiz_kw)
    return school_class, quiz


def test_remind_announces_a_quiz_starting_soon_once(app):
    now = utcnow()
    school_class, quiz = reminder_setup(start=now + timedelta(minutes=30), end=now + timedelta(days=2))
    students = [make_student(school_class) for _ in range(3)]
    assert "Reminders created: 3" in run(app, "remind")
    assert "Reminders created: 0" in run(app, "remind")
    (note,) = notifications_of(students[0])
    assert note.type == "quiz_starting_soon" and note.message.startswith("Quiz 'Physics' will start in 30 minutes")
    assert note.expires_at == quiz.end_date
    assert [e.dedupe_key for e in all_events()] == [f"quiz_starting_soon:{quiz.id}"]


def test_deadline_reminder_skips_students_who_already_finished(app):
    now = utcnow()
    school_class, quiz = reminder_setup(start=now - timedelta(hours=1), end=now + timedelta(hours=3))
    done, pending = make_student(school_class), make_student(school_class)
    make_attempt(quiz, done, status="graded")
    assert "Reminders created: 1" in run(app, "remind")
    assert [n.type for n in notifications_of(pending)] == ["quiz_deadline_approaching"]
    assert notifications_of(done) == []
    assert "deadline is in 3 hours" in notifications_of(pending)[0].message


def test_remind_ignores_drafts_and_far_away_quizzes(app):
    now = utcnow()
    school_class, _quiz = reminder_setup(status="draft", start=now + timedelta(minutes=10),
                                         end=now + timedelta(hours=1))
    reminder_setup(start=now + timedelta(days=3), end=now + timedelta(days=4))
    make_student(school_class)
    assert "Reminders created: 0" in run(app, "remind")


@pytest.mark.mysql_only(reason="needs MariaDB: SQLite serialises whole transactions, so there is no race to test")
def test_two_concurrent_reminder_runs_create_each_reminder_once(app):
    now = utcnow()
    school_class, quiz = reminder_setup(start=now + timedelta(minutes=20), end=now + timedelta(days=1))
    for _ in range(5):
        make_student(school_class)
    quiz_id = quiz.id
    barrier = threading.Barrier(2)
    outcomes = []

    def remind_once():
        with app.app_context():
            target = db.session.get(type(quiz), quiz_id)
            barrier.wait()
            batch = reminders.remind_starting(target, now)
            commit()
            outcomes.append(batch is not None)
            db.session.remove()

    threads = [threading.Thread(target=remind_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == [False, True]
    db.session.rollback()  # leave this session's snapshot to see the threads' commits
    assert db.session.query(Notification).count() == 5


@pytest.mark.mysql_only(reason="needs MariaDB: concurrent row claims are what is being tested")
def test_two_concurrent_dispatchers_never_claim_the_same_event(app):
    for _ in range(20):
        give(make_student(), "attempt_reset", context={"additional_attempts": 1, "quiz_title": "Q", "reason": "r"})
    barrier = threading.Barrier(2)
    claims = []

    def claim():
        with app.app_context():
            barrier.wait()
            claims.append(outbox.claim_events(utcnow(), limit=50, lease_seconds=300, max_attempts=5))
            commit()
            db.session.remove()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first, second = claims
    assert not set(first) & set(second)
    assert len(first) + len(second) == 20


# --- cleanup ----------------------------------------------------------------------------

def test_cleanup_deletes_only_expired_notifications(app):
    student = make_student()
    give(student, expires_at=utcnow() - timedelta(minutes=1))
    give(student, expires_at=utcnow() - timedelta(days=3))
    kept = give(student, expires_at=utcnow() + timedelta(days=1))
    forever = give(student)
    assert "Expired notifications deleted: 2" in run(app, "cleanup")
    assert "Expired notifications deleted: 0" in run(app, "cleanup")
    assert sorted(n.id for n in notifications_of(student)) == sorted([kept, forever])
