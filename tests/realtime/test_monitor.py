"""The /quiz-monitor namespace through Flask-SocketIO's test client."""
import uuid
from datetime import timedelta

import pytest

from app.auth.tokens import revoke_all_tokens
from app.common import events
from app.common.clock import utcnow
from app.common.db import commit
from app.extensions import db, socketio
from app.quizzes.models import QuizClass
from app.realtime.namespaces import RoomTimers, next_tick
from app.realtime.push import MONITOR_NAMESPACE as NS
from app.realtime.push import claim_room_status, quiz_room
from app.realtime.status import quiz_status
from tests.factories import (
    make_answer,
    make_attempt,
    make_class,
    make_question,
    make_quiz,
    make_student,
    make_teacher,
    tokens_for,
)
from tests.realtime.helpers import REDIS_URL, received, redis_reachable, wait_for


def token(user):
    return tokens_for(user)["access_token"]


def monitored_quiz(n_questions=2):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    questions = [make_question(teacher) for _ in range(n_questions)]
    quiz = make_quiz(teacher, questions=questions, classes=[school_class])
    return teacher, school_class, quiz, questions


def join(client, quiz_id, **extra):
    client.emit("join_quiz", {"quiz_id": quiz_id, **extra}, namespace=NS)
    return client.get_received(NS)


def names(events_):
    return [e["name"] for e in events_]


def test_connect_with_a_teacher_token_is_accepted(sockets):
    teacher, _cls, _quiz, _q = monitored_quiz()
    assert sockets(NS, token(teacher)).is_connected(NS)


def test_connect_with_a_malformed_token_is_refused(sockets):
    assert not sockets(NS, "not-a-jwt").is_connected(NS)


def test_connect_with_a_refresh_token_is_refused(sockets):
    teacher, *_ = monitored_quiz()
    assert not sockets(NS, tokens_for(teacher)["refresh_token"]).is_connected(NS)


def test_connect_with_a_logged_out_token_is_refused(client, sockets):
    teacher, *_ = monitored_quiz()
    raw = token(teacher)
    assert client.post("/api/auth/logout", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert not sockets(NS, raw).is_connected(NS)


def test_connect_after_password_change_or_deactivation_is_refused(sockets):
    teacher, *_ = monitored_quiz()
    raw = token(teacher)
    revoke_all_tokens(teacher)
    commit()
    assert not sockets(NS, raw).is_connected(NS)


def test_student_is_refused_from_the_monitor(sockets):
    _teacher, school_class, _quiz, _q = monitored_quiz()
    student = make_student(school_class)
    assert not sockets(NS, token(student)).is_connected(NS)


def test_student_token_in_join_quiz_gets_forbidden_error(sockets):
    _teacher, school_class, quiz, _q = monitored_quiz()
    student = make_student(school_class)
    client = sockets(NS)
    events_ = join(client, quiz.id, token=token(student))
    errors = [e for e in events_ if e["name"] == "error"]
    assert errors and errors[0]["args"][0]["error_code"] == "FORBIDDEN"
    assert "joined" not in names(events_)


def test_join_without_any_token_is_an_unauthorised_error(sockets):
    _teacher, _cls, quiz, _q = monitored_quiz()
    client = sockets(NS)
    assert client.is_connected(NS)  # seed 002's client authenticates in join_quiz
    events_ = join(client, quiz.id)
    assert events_[0]["name"] == "error"
    assert events_[0]["args"][0]["error_code"] == "TOKEN_MISSING"


def test_token_in_join_quiz_joins_the_room(sockets):
    teacher, _cls, quiz, _q = monitored_quiz()
    client = sockets(NS)
    events_ = join(client, quiz.id, token=token(teacher))
    assert names(events_) == ["joined", "quiz_status"]
    assert events_[0]["args"][0]["quiz_id"] == quiz.id


def test_teacher_cannot_join_another_teachers_quiz(sockets):
    _teacher_a, school_class, quiz_a, _q = monitored_quiz()
    teacher_b = make_teacher(classes=[school_class])
    client = sockets(NS, token(teacher_b))
    events_ = join(client, quiz_a.id)
    assert names(events_) == ["error"]
    assert events_[0]["args"][0] == {"message": "Quiz not found", "error_code": "NOT_FOUND"}
    events.violation_recorded.send("app", **violation_payload(quiz_a, make_student(school_class)))
    assert received(client, NS) == []


def test_join_without_quiz_id_is_a_validation_error(sockets):
    teacher, *_ = monitored_quiz()
    client = sockets(NS, token(teacher))
    client.emit("join_quiz", {}, namespace=NS)
    (error,) = received(client, NS)
    assert error["args"][0]["error_code"] == "VALIDATION_ERROR"


def test_token_revoked_after_connect_cannot_join(sockets):
    teacher, _cls, quiz, _q = monitored_quiz()
    client = sockets(NS, token(teacher))
    revoke_all_tokens(teacher)
    commit()
    events_ = join(client, quiz.id)
    assert names(events_) == ["error"]
    assert events_[0]["args"][0]["error_code"] == "TOKEN_REVOKED"


def test_admin_may_monitor_any_quiz(sockets):
    from tests.factories import make_admin

    _teacher, _cls, quiz, _q = monitored_quiz()
    client = sockets(NS, token(make_admin()))
    assert names(join(client, quiz.id)) == ["joined", "quiz_status"]


def test_status_lists_active_and_completed_attempts_with_progress(sockets):
    teacher, school_class, quiz, questions = monitored_quiz(n_questions=4)
    alice = make_student(school_class, name="Alice")
    bob = make_student(school_class, name="Bob")
    started = utcnow() - timedelta(minutes=12, seconds=5)
    # Alice answered two questions, then moved on to the third without answering it.
    active = make_attempt(quiz, alice, started_at=started, current_question_index=2, total_violations=1,
                          last_activity_at=utcnow() - timedelta(minutes=1))
    make_answer(active, questions[0], option=1, updated_at=utcnow() - timedelta(minutes=3))
    make_answer(active, questions[1], option=0, updated_at=utcnow() - timedelta(minutes=2))
    make_attempt(quiz, bob, status="graded", started_at=started, score=4)
    client = sockets(NS, token(teacher))
    status = join(client, quiz.id)[1]["args"][0]
    assert status["active_attempts"] == 1
    assert status["completed_attempts"] == 1
    alice_row, bob_row = status["students"]
    assert alice_row == {**alice_row, "id": alice.id, "name": "Alice", "current_question": 3, "total_questions": 4,
                         "answered_count": 2, "progress": 50, "violations": 1, "time_elapsed_minutes": 12,
                         "status": "in_progress"}
    assert bob_row["status"] == "graded"
    assert bob_row["time_elapsed_minutes"] == 5


def test_a_students_position_is_their_latest_answer_when_it_is_newer(sockets):
    """Saves do not write the attempt row (app.attempts.progress): the latest answer tells."""
    teacher, school_class, quiz, questions = monitored_quiz(n_questions=4)
    carol = make_student(school_class, name="Carol")
    attempt = make_attempt(quiz, carol, current_question_index=0, last_activity_at=utcnow() - timedelta(minutes=5))
    make_answer(attempt, questions[3], option=1, updated_at=utcnow() - timedelta(minutes=1))
    make_answer(attempt, questions[2], option=1, updated_at=utcnow() - timedelta(minutes=2))
    status = join(sockets(NS, token(teacher)), quiz.id)[1]["args"][0]
    assert status["students"][0]["current_question"] == 4


def test_status_takes_the_same_number_of_queries_for_any_room_size(app, count_queries):
    teacher, school_class, quiz, questions = monitored_quiz()
    quiz_id = quiz.id
    for _ in range(2):
        make_answer(make_attempt(quiz, make_student(school_class)), questions[0], option=1)
    with count_queries() as small:
        quiz_status(quiz_id)
    for _ in range(8):
        make_answer(make_attempt(quiz, make_student(school_class)), questions[1], option=1)
    with count_queries() as large:
        assert len(quiz_status(quiz_id)["students"]) == 10
    assert small.count == large.count == 1, large.statements


def test_status_lists_the_whole_roster_of_the_quizs_classes_with_those_not_started(app, sockets):
    first, second = make_class(), make_class()
    teacher = make_teacher(classes=[first, second])
    questions = [make_question(teacher) for _ in range(2)]
    quiz = make_quiz(teacher, questions=questions, classes=[first, second])
    started = make_student(first, name="Ann")
    make_attempt(quiz, started)
    make_student(first, name="Bob")
    make_student(second, name="Cat")
    make_student(second, name="Dan", is_active=False)
    make_student(make_class(), name="Eve")  # not in the quiz's classes
    status = join(sockets(NS, token(teacher)), quiz.id)[1]["args"][0]
    assert [(s["name"], s["status"]) for s in status["students"]] == [
        ("Ann", "in_progress"), ("Bob", "not_started"), ("Cat", "not_started")]
    assert status["not_started_count"] == 2 and status["active_attempts"] == 1
    bob = status["students"][1]
    assert bob == {**bob, "attempt_id": None, "current_question": 0, "current_question_index": None,
                   "started_at": None, "progress": 0}


def test_the_roster_takes_the_same_number_of_queries_for_any_number_of_classes(app, count_queries):
    teacher = make_teacher()
    classes = [make_class() for _ in range(6)]
    quiz = make_quiz(teacher, questions=[make_question(teacher)], classes=classes[:1])
    make_student(classes[0])
    quiz_id = quiz.id
    with count_queries() as one_class:
        assert len(quiz_status(quiz_id)["students"]) == 1
    for school_class in classes[1:]:
        db.session.add(QuizClass(quiz_id=quiz_id, class_id=school_class.id))
        for _ in range(3):
            make_student(school_class)
    commit()
    with count_queries() as six_classes:
        assert len(quiz_status(quiz_id)["students"]) == 16
    assert one_class.count == six_classes.count == 1, six_classes.statements


def test_status_repeats_while_the_room_has_members_and_stops_when_it_empties(app, sockets, monkeypatch):
    monkeypatch.setitem(app.config, "MONITOR_STATUS_INTERVAL", 0.05)
    teacher, _cls, quiz, _q = monitored_quiz()
    namespace = socketio.server.namespace_handlers[NS]
    started = []
    original = socketio.start_background_task
    monkeypatch.setattr(socketio, "start_background_task",
                        lambda fn, *a: started.append((fn, a)) or original(fn, *a))
    first, second = sockets(NS, token(teacher)), sockets(NS, token(teacher))
    join(first, quiz.id)
    join(second, quiz.id)
    room_timers = [args[1] for fn, args in started if fn == namespace.timers._run]
    assert room_timers == [quiz.id]  # one timer for the room, not one per client
    assert quiz.id in namespace.timers.running
    assert wait_for(lambda: len([e for e in first.get_received(NS) if e["name"] == "quiz_status"]) >= 1)
    first.emit("leave_quiz", {"quiz_id": quiz.id}, namespace=NS)
    assert wait_for(lambda: any(e["name"] == "quiz_status" for e in second.get_received(NS)))
    second.disconnect(namespace=NS)
    assert wait_for(lambda: quiz.id not in namespace.timers.running)


def test_rooms_opened_together_tick_at_spread_offsets(monkeypatch):
    # Ten rooms joined in the same instant must not run their status queries in the same
    # instant every interval: their offsets cover the interval with no gap over 15 %.
    timers, offsets = RoomTimers(), []
    monkeypatch.setattr(socketio, "start_background_task", lambda _fn, _app, _quiz_id, offset: offsets.append(offset))
    for index in range(10):
        timers.ensure(None, f"quiz-{index}")
    timers.ensure(None, "quiz-3")  # already running: no second timer
    assert len(offsets) == 10 and all(0 <= offset < 1 for offset in offsets)
    ordered = sorted(offsets)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)] + [1 - ordered[-1] + ordered[0]]
    assert 0.05 < min(gaps) and max(gaps) < 0.15, gaps


def test_a_late_tick_keeps_the_schedule_without_catch_up_bursts():
    assert next_tick(10.0, 5.0, now=11.0) == 15.0
    assert next_tick(10.0, 5.0, now=15.0) == 20.0  # due exactly now: the next one
    assert next_tick(10.0, 5.0, now=27.5) == 30.0  # 3 intervals late: one tick, back on the grid


def test_leave_quiz_answers_left_and_stops_pushes(sockets):
    teacher, school_class, quiz, _q = monitored_quiz()
    client = sockets(NS, token(teacher))
    join(client, quiz.id)
    client.emit("leave_quiz", {"quiz_id": quiz.id}, namespace=NS)
    assert received(client, NS) == [{"name": "left", "args": [{"quiz_id": quiz.id}], "namespace": NS}]
    events.violation_recorded.send("app", **violation_payload(quiz, make_student(school_class)))
    assert received(client, NS) == []


def test_start_monitoring_is_accepted(sockets):
    teacher, _cls, quiz, _q = monitored_quiz()
    client = sockets(NS, token(teacher))
    join(client, quiz.id)
    assert client.emit("start_monitoring", {"quiz_id": quiz.id}, namespace=NS, callback=True) == {"success": True}


def violation_payload(quiz, student, **extra):
    attempt = make_attempt(quiz, student)
    return {"attempt_id": attempt.id, "quiz_id": quiz.id, "student_id": student.id, "violation_id": "v1",
            "violation_type": "tab_switch", "severity": "medium", "total_violations": 1, "max_violations": 3,
            "auto_submitted": False, **extra}


def test_violation_event_reaches_only_that_quizs_room(sockets):
    teacher, school_class, quiz, _q = monitored_quiz()
    other_quiz = make_quiz(teacher, classes=[school_class])
    student = make_student(school_class, name="Alice")
    watching, elsewhere = sockets(NS, token(teacher)), sockets(NS, token(teacher))
    join(watching, quiz.id)
    join(elsewhere, other_quiz.id)
    events.violation_recorded.send("app", **violation_payload(quiz, student))
    (pushed,) = received(watching, NS)
    assert pushed["name"] == "violation"
    assert pushed["args"][0] == {**pushed["args"][0], "student_id": student.id, "student_name": "Alice",
                                 "violation_type": "tab_switch", "total_violations": 1}
    assert received(elsewhere, NS) == []
    assert quiz_room(quiz.id) == f"quiz_{quiz.id}"


@pytest.fixture
def no_status_ticks(app, monkeypatch):
    """The room's periodic `quiz_status` an hour apart: a tick lands at an offset from the
    join, so on a loaded machine it would fall between the pushes a test pins."""
    monkeypatch.setitem(app.config, "MONITOR_STATUS_INTERVAL", 3600)


def watched_student(sockets):
    """Alice's headers in a monitored quiz, and a monitor joined to the quiz's room."""
    teacher, school_class, quiz, questions = monitored_quiz()
    student = make_student(school_class, name="Alice")
    monitor = sockets(NS, token(teacher))
    join(monitor, quiz.id)
    return quiz, questions, {"Authorization": f"Bearer {token(student)}"}, monitor


def test_a_students_real_requests_are_pushed_to_the_monitor(client, sockets, no_status_ticks):
    quiz, questions, headers, monitor = watched_student(sockets)

    attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()["attempt_id"]
    client.post(f"/api/attempts/{attempt_id}/answer", headers=headers,
                json={"question_id": questions[0].id, "answer_option": 1, "question_index": 0})
    client.post(f"/api/attempts/{attempt_id}/violations", headers=headers, json={"violation_type": "tab_switch"})
    client.post(f"/api/attempts/{attempt_id}/submit", headers=headers)

    pushed = received(monitor, NS)
    assert names(pushed) == ["attempt_started", "answer_saved", "violation", "attempt_submitted"]
    started, saved, violation, submitted = (e["args"][0] for e in pushed)
    assert started["student_name"] == "Alice" and started["attempt_id"] == attempt_id
    assert saved == {**saved, "answered_count": 1, "total_questions": 2, "progress": 50, "current_question": 1}
    assert violation["total_violations"] == 1
    assert submitted == {**submitted, "attempt_id": attempt_id, "status": "graded", "score": 2.0}


def test_a_violation_push_names_the_student_without_a_query_after_the_commit(client, sockets, count_queries,
                                                                           no_status_ticks):
    quiz, _questions, headers, monitor = watched_student(sockets)
    attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()["attempt_id"]
    received(monitor, NS)

    with count_queries() as counted:
        client.post(f"/api/attempts/{attempt_id}/violations", headers=headers, json={"violation_type": "tab_switch"})

    (pushed,) = received(monitor, NS)
    assert pushed["args"][0]["student_name"] == "Alice"
    assert not any("SELECT users.name \nFROM users" in s for s in counted.statements), counted.statements


def test_joining_after_the_token_expired_needs_a_fresh_token_in_join_quiz(app, sockets):
    from app.common import clock

    teacher, _cls, quiz, _q = monitored_quiz()
    client = sockets(NS, token(teacher))
    clock.set_frozen(utcnow() + app.config["JWT_ACCESS_TOKEN_EXPIRES"] + timedelta(seconds=1))
    events_ = join(client, quiz.id)
    assert events_[0]["args"][0]["error_code"] == "TOKEN_EXPIRED"
    clock.set_frozen(None)
    assert names(join(client, quiz.id, token=token(teacher))) == ["joined", "quiz_status"]


def test_without_a_message_queue_each_instance_sends_its_own_monitors_the_status(app):
    assert app.config["REDIS_URL"] is None
    assert claim_room_status("quiz-1", 5) == claim_room_status("quiz-1", 5) == "local"


@pytest.mark.skipif(not redis_reachable(), reason="Redis at 127.0.0.1:6379 is not reachable")
def test_one_instance_per_interval_claims_a_rooms_status_for_everyone(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "SOCKETIO_CHANNEL", f"qms-test-{uuid.uuid4().hex}")
    assert claim_room_status("quiz-1", 0.2) == "everyone"
    assert claim_room_status("quiz-1", 0.2) is None  # the other instance's tick in the same interval
    assert claim_room_status("quiz-2", 0.2) == "everyone"  # rooms are claimed separately
    assert wait_for(lambda: claim_room_status("quiz-1", 0.2) == "everyone", timeout=1)  # the next interval


def test_an_unreachable_redis_leaves_each_instance_serving_its_own_monitors(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    assert claim_room_status("quiz-1", 5) == "local"


def _positions(client, monitor, quiz, attempt_id, headers, saved):
    """The current question as the save, the attempt's detail, answer_saved and quiz_status give it."""
    detail = client.get(f"/api/attempts/{attempt_id}", headers=headers).get_json()
    pushed = [e["args"][0] for e in received(monitor, NS) if e["name"] == "answer_saved"]
    status = quiz_status(quiz.id)["students"][0]
    return {saved["current_question_index"], saved["question_index"], detail["current_question_index"],
            pushed[-1]["current_question_index"], pushed[-1]["current_question"] - 1,
            status["current_question_index"], status["current_question"] - 1}


def test_the_save_the_attempt_and_the_monitor_agree_on_the_current_question(client, sockets):
    quiz, questions, headers, monitor = watched_student(sockets)
    started = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()
    attempt_id, order = started["attempt_id"], [q["id"] for q in started["questions"]]
    assert started["current_question_index"] == 0

    saved = client.post(f"/api/attempts/{attempt_id}/answer", headers=headers,
                        json={"question_id": order[1], "answer_option": 1}).get_json()
    assert _positions(client, monitor, quiz, attempt_id, headers, saved) == {1}

    batch = client.put(f"/api/attempts/{attempt_id}/answers", headers=headers, json={"answers": [
        {"question_id": order[1], "answer_option": 2}, {"question_id": order[0], "answer_option": 0}]}).get_json()
    assert _positions(client, monitor, quiz, attempt_id, headers, batch) == {0}


def test_answer_saved_names_the_student_without_a_query_of_its_own(client, sockets, count_queries):
    quiz, questions, headers, monitor = watched_student(sockets)
    attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()["attempt_id"]
    received(monitor, NS)
    with count_queries() as save:
        client.post(f"/api/attempts/{attempt_id}/answer", headers=headers,
                    json={"question_id": questions[0].id, "answer_option": 1})
    (pushed,) = [e["args"][0] for e in received(monitor, NS) if e["name"] == "answer_saved"]
    assert pushed["student_name"] == "Alice"
    name_reads = [s for s in save.statements if "users.name" in s]
    assert len(name_reads) == 1 and "answered_elsewhere" in name_reads[0], save.statements  # the locking read
