"""Ending a user's access ends their sockets, in both namespaces (one instance, in process).

Across instances joined by Redis, with real servers: test_live_revocation.py.
"""
import time
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token

from app.common import events
from app.realtime import namespaces
from app.realtime.push import MONITOR_NAMESPACE as MONITOR
from app.realtime.push import NOTIFICATIONS_NAMESPACE as INBOX
from tests.factories import auth, make_admin, make_class, make_question, make_quiz, make_student, make_teacher
from tests.realtime.helpers import received, wait_for
from tests.realtime.revocations import FOR_EVERYONE, FOR_STAFF, InProcess, access_token, revoke


def classroom():
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    questions = [make_question(teacher), make_question(teacher)]
    quiz = make_quiz(teacher, questions=questions, classes=[school_class])
    return school_class, teacher, quiz, questions


def monitor(sockets, user, quiz, token=None):
    socket = sockets(MONITOR, token or access_token(user))
    socket.emit("join_quiz", {"quiz_id": quiz.id}, namespace=MONITOR)
    assert [e["name"] for e in received(socket, MONITOR)] == ["joined", "quiz_status"]
    return socket


def inbox(sockets, user):
    socket = sockets(INBOX, access_token(user))
    assert [e["name"] for e in received(socket, INBOX)] == ["unread_count"]
    return socket


def after_disconnect(socket, namespace):
    """What a socket received, connected or not (the test client's get_received refuses
    a disconnected one)."""
    events_ = [e for e in socket.queue if e["namespace"] == namespace]
    socket.queue[:] = [e for e in socket.queue if e["namespace"] != namespace]
    return events_


def ended(socket, namespace, error_code="SESSION_ENDED"):
    """Disconnected by the server, after an `error` saying why."""
    events_ = after_disconnect(socket, namespace)
    return not socket.is_connected(namespace) and events_ and events_[-1]["name"] == "error" \
        and events_[-1]["args"][0]["error_code"] == error_code


def answer(client, student, quiz, question):
    headers = auth(student)
    attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()["attempt_id"]
    saved = client.post(f"/api/attempts/{attempt_id}/answer", headers=headers,
                        json={"question_id": question.id, "answer_option": 1, "question_index": 0})
    assert saved.status_code == 200


@pytest.mark.parametrize("kind", FOR_STAFF)
def test_ending_a_teachers_access_disconnects_their_monitor_and_inbox(client, sockets, kind):
    school_class, teacher, quiz, questions = classroom()
    watching, teachers_inbox = monitor(sockets, teacher, quiz), inbox(sockets, teacher)
    colleague = monitor(sockets, make_admin(), quiz)

    revoke(InProcess(client), kind, teacher)

    assert ended(watching, MONITOR) and ended(teachers_inbox, INBOX)
    answer(client, make_student(school_class), quiz, questions[0])
    assert "answer_saved" in [e["name"] for e in received(colleague, MONITOR)]
    assert colleague.is_connected(MONITOR)
    assert after_disconnect(watching, MONITOR) == [] and after_disconnect(teachers_inbox, INBOX) == []


@pytest.mark.parametrize("kind", FOR_EVERYONE)
def test_ending_a_students_access_disconnects_their_inbox(client, sockets, kind):
    school_class, teacher, _quiz, _questions = classroom()
    student, classmate = make_student(school_class), make_student(school_class)
    students_inbox, classmates_inbox = inbox(sockets, student), inbox(sockets, classmate)
    second_tab = inbox(sockets, student)

    revoke(InProcess(client), kind, student)

    assert ended(students_inbox, INBOX) and ended(second_tab, INBOX)
    client.post(f"/api/classes/{school_class.id}/notify", headers=auth(teacher),
                json={"type": "announcement", "title": "Trip", "message": "Bring lunch"})
    assert "notification" in [e["name"] for e in received(classmates_inbox, INBOX)]
    assert after_disconnect(students_inbox, INBOX) == [] and after_disconnect(second_tab, INBOX) == []


def test_a_revocation_arriving_while_a_socket_connects_still_disconnects_it(sockets, monkeypatch):
    # The revocation is committed elsewhere and its room closing reaches this instance
    # while the connect handler is reading the account, which still looks valid.
    student = make_student()
    real_check = namespaces.user_for_claims

    def revoked_during_the_check(claims):
        events.access_revoked.send("app", user_id=claims["sub"], reason="logout")
        return real_check(claims)

    monkeypatch.setattr(namespaces, "user_for_claims", revoked_during_the_check)
    socket = sockets(INBOX, access_token(student))
    assert not socket.is_connected(INBOX)


def test_a_socket_that_changes_user_in_join_quiz_belongs_to_the_new_user(client, sockets):
    _school_class, teacher, quiz, _questions = classroom()
    admin = make_admin()
    socket = sockets(MONITOR, access_token(teacher))
    socket.emit("join_quiz", {"quiz_id": quiz.id, "token": access_token(admin)}, namespace=MONITOR)
    received(socket, MONITOR)

    revoke(InProcess(client), "logout", teacher)
    assert socket.is_connected(MONITOR)
    revoke(InProcess(client), "logout", admin)
    assert ended(socket, MONITOR)


def short_lived_token(user, seconds):
    return create_access_token(identity=user.id, expires_delta=timedelta(seconds=seconds),
                               additional_claims={"ver": user.token_version, "role": user.role})


def test_a_monitor_is_disconnected_when_its_token_expires(client, sockets):
    school_class, teacher, quiz, questions = classroom()
    expires_at = time.time() + 2
    watching = monitor(sockets, teacher, quiz, token=short_lived_token(teacher, 2))
    answer(client, make_student(school_class), quiz, questions[0])
    assert "answer_saved" in [e["name"] for e in received(watching, MONITOR)]

    assert wait_for(lambda: not watching.is_connected(MONITOR), timeout=4)
    assert time.time() - expires_at < 1
    assert ended(watching, MONITOR, "TOKEN_EXPIRED")


def test_a_fresh_token_in_join_quiz_keeps_the_monitor_past_the_first_ones_expiry(client, sockets):
    school_class, teacher, quiz, questions = classroom()
    watching = monitor(sockets, teacher, quiz, token=short_lived_token(teacher, 2))
    watching.emit("join_quiz", {"quiz_id": quiz.id, "token": access_token(teacher)}, namespace=MONITOR)
    received(watching, MONITOR)
    time.sleep(3)
    assert watching.is_connected(MONITOR)
    answer(client, make_student(school_class), quiz, questions[0])
    assert "answer_saved" in [e["name"] for e in received(watching, MONITOR)]


def test_the_notifications_socket_outlives_its_tokens_expiry(sockets):
    student = make_student()
    socket = sockets(INBOX, short_lived_token(student, 1))
    time.sleep(2)
    assert socket.is_connected(INBOX)
