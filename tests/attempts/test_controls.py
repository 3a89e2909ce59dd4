"""A teacher's live controls: extend, force-submit, reopen, and the quiz-wide extend."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.common import clock
from app.common.audit import AuditLog
from app.extensions import db
from tests.attempts.conftest import quiz_for, start
from tests.factories import auth, make_admin, make_attempt, make_class, make_student, make_teacher
from tests.helpers import assert_error

NOW = datetime(2026, 3, 2, 9, 0, 0)
GRACE = timedelta(seconds=30)


@pytest.fixture
def frozen():
    with clock.freeze(NOW) as frozen_clock:
        yield frozen_clock


def begin(client, school, **quiz_settings):
    quiz = quiz_for(school, **quiz_settings)
    return quiz, start(client, quiz, school.student_a).get_json()["attempt_id"]


def save(client, school, attempt_id, question, **answer):
    return client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                       json={"question_id": question.id, **answer})


def control(client, user, attempt_id, action, **body):
    return client.post(f"/api/attempts/{attempt_id}/{action}", headers=auth(user), json=body)


def fresh(attempt_id) -> QuizAttempt:
    db.session.rollback()
    return db.session.get(QuizAttempt, attempt_id)


def audited(action: str, attempt_id: str) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action,
                                                     AuditLog.entity_id == attempt_id)).all()


# --- extend ----------------------------------------------------------------------------

def test_extend_accepts_saves_past_the_old_deadline_and_refuses_them_after_the_new_one(client, school, frozen):
    _quiz, attempt_id = begin(client, school, time_limit_minutes=30)
    response = control(client, school.teacher_a, attempt_id, "extend", minutes=10, reason="Fire alarm")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["expires_at"] == "2026-03-02T09:40:00Z"
    frozen.advance(minutes=30, seconds=45)  # past the old deadline and its grace
    assert save(client, school, attempt_id, school.q.mcq, answer_option=1).status_code == 200
    frozen.advance(minutes=9, seconds=46)  # 09:40:31: past the new deadline and its grace
    late = save(client, school, attempt_id, school.q.tf, answer_option=0)
    assert_error(late, 409, "TIME_EXPIRED")
    attempt = fresh(attempt_id)
    assert (attempt.status, attempt.auto_submit_reason) == ("graded", "time_expired")
    assert float(attempt.score) == 2.0  # the answer saved after the old deadline counts
    [entry] = audited("attempt_extended", attempt_id)
    assert entry.user_id == school.teacher_a.id and entry.new_value["reason"] == "Fire alarm"


def test_extend_moves_the_deadline_past_the_quizs_window(client, school, frozen):
    _quiz, attempt_id = begin(client, school, time_limit_minutes=30, end=NOW + timedelta(minutes=20))
    assert fresh(attempt_id).deadline_at == NOW + timedelta(minutes=20)
    assert control(client, school.teacher_a, attempt_id, "extend", minutes=15, reason="Late bus").status_code == 200
    frozen.advance(minutes=34)
    assert save(client, school, attempt_id, school.q.mcq, answer_option=1).status_code == 200


def test_extend_after_the_time_ran_out_counts_from_now(client, school, frozen):
    _quiz, attempt_id = begin(client, school, time_limit_minutes=30)
    frozen.advance(minutes=45)  # not swept yet
    body = control(client, school.teacher_a, attempt_id, "extend", minutes=5, reason="Fire alarm").get_json()
    assert body["expires_at"] == "2026-03-02T09:50:00Z" and body["time_remaining_seconds"] == 300


def test_extend_of_a_closed_attempt_is_conflict(client, school, frozen):
    _quiz, attempt_id = begin(client, school)
    client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a))
    response = control(client, school.teacher_a, attempt_id, "extend", minutes=5, reason="Too late")
    assert_error(response, 409, "ATTEMPT_CLOSED")
    assert not audited("attempt_extended", attempt_id)


def test_extend_body_is_checked(client, school, frozen):
    _quiz, attempt_id = begin(client, school)
    for body in ({"minutes": 0, "reason": "x"}, {"minutes": 5}, {"minutes": "5", "reason": "x"},
                 {"minutes": 5, "reason": ""}, {"minutes": 1441, "reason": "x"}):
        assert_error(client.post(f"/api/attempts/{attempt_id}/extend", headers=auth(school.teacher_a), json=body), 422)


# --- force-submit ----------------------------------------------------------------------

def test_force_submit_closes_and_grades_the_attempt_as_the_teachers(client, school, frozen):
    _quiz, attempt_id = begin(client, school)
    save(client, school, attempt_id, school.q.mcq, answer_option=1)
    response = control(client, make_admin(), attempt_id, "force-submit", reason="Left the room")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["auto_submit_reason"], body["time_remaining_seconds"]) == ("graded", "teacher", 0)
    attempt = fresh(attempt_id)
    assert attempt.in_progress_key is None and float(attempt.score) == 2.0
    assert_error(client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a)), 409,
                 "ATTEMPT_CLOSED")
    assert_error(control(client, school.teacher_a, attempt_id, "force-submit", reason="Again"), 409, "ATTEMPT_CLOSED")
    assert len(audited("attempt_force_submitted", attempt_id)) == 1


# --- reopen ----------------------------------------------------------------------------

def test_reopen_after_a_violation_auto_submit_keeps_the_answers_and_restarts_the_allowance(client, school, frozen):
    _quiz, attempt_id = begin(client, school, max_violations=2)
    save(client, school, attempt_id, school.q.mcq, answer_option=1)
    for kind in ("tab_switch", "copy_attempt"):
        client.post(f"/api/attempts/{attempt_id}/violations", headers=auth(school.student_a),
                    json={"violation_type": kind})
    assert fresh(attempt_id).auto_submit_reason == "violations"
    frozen.advance(minutes=2)
    response = control(client, school.teacher_a, attempt_id, "reopen", minutes=10, reason="False alarm")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "in_progress" and body["expires_at"] == "2026-03-02T09:12:00Z"
    attempt = fresh(attempt_id)
    assert (attempt.score, attempt.percentage, attempt.passed, attempt.auto_submit_reason) == (None, None, None, None)
    assert attempt.total_violations == 2 and not attempt.auto_submitted_due_to_violations
    [answer] = db.session.scalars(select(StudentAnswer).where(StudentAnswer.attempt_id == attempt_id)).all()
    assert (answer.answer_option, answer.marks_awarded, answer.is_final) == (1, None, False)
    warned = client.post(f"/api/attempts/{attempt_id}/violations", headers=auth(school.student_a),
                         json={"violation_type": "tab_switch"}).get_json()
    assert (warned["status"], warned["remaining"]) == ("in_progress", 1)
    assert save(client, school, attempt_id, school.q.tf, answer_option=0).status_code == 200
    submitted = client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a)).get_json()
    assert float(submitted["score"]) == 3.0
    assert len(audited("attempt_reopened", attempt_id)) == 1


def test_reopen_after_a_time_out(client, school, frozen):
    _quiz, attempt_id = begin(client, school, time_limit_minutes=30)
    frozen.advance(minutes=31)
    assert_error(save(client, school, attempt_id, school.q.mcq, answer_option=1), 409, "TIME_EXPIRED")
    assert control(client, school.teacher_a, attempt_id, "reopen", minutes=5, reason="Network down").status_code == 200
    assert save(client, school, attempt_id, school.q.mcq, answer_option=1).status_code == 200


def test_reopen_of_a_timed_out_attempt_the_sweep_has_not_closed_yet(client, school, frozen):
    _quiz, attempt_id = begin(client, school, time_limit_minutes=30)
    frozen.advance(minutes=40)
    body = control(client, school.teacher_a, attempt_id, "reopen", minutes=5, reason="Network down").get_json()
    assert body["status"] == "in_progress" and body["expires_at"] == "2026-03-02T09:45:00Z"


def test_reopen_after_a_force_submit(client, school, frozen):
    _quiz, attempt_id = begin(client, school)
    control(client, school.teacher_a, attempt_id, "force-submit", reason="Wrong student")
    assert control(client, school.teacher_a, attempt_id, "reopen", minutes=5, reason="Right one").status_code == 200


def test_reopen_is_refused_after_manual_grading(client, school, frozen):
    _quiz, attempt_id = begin(client, school, questions=[school.q.mcq, school.q.essay], max_violations=1)
    save(client, school, attempt_id, school.q.essay, answer_text="Because")
    client.post(f"/api/attempts/{attempt_id}/violations", headers=auth(school.student_a),
                json={"violation_type": "tab_switch"})
    graded = client.post(f"/api/grading/attempts/{attempt_id}/grade", headers=auth(school.teacher_a),
                         json={"grades": [{"question_id": school.q.essay.id, "marks_awarded": 2}]})
    assert graded.status_code == 200, graded.get_json()
    response = control(client, school.teacher_a, attempt_id, "reopen", minutes=5, reason="Too late")
    assert_error(response, 409, "ATTEMPT_NOT_REOPENABLE")
    assert "A teacher has graded this attempt by hand." in response.get_json()["details"]["reasons"]
    assert fresh(attempt_id).status == "graded"


def test_reopen_is_refused_for_a_students_own_submit_and_an_attempt_in_progress(client, school, frozen):
    _quiz, attempt_id = begin(client, school)
    assert_error(control(client, school.teacher_a, attempt_id, "reopen", minutes=5, reason="x"), 409,
                 "ATTEMPT_NOT_REOPENABLE")
    client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a))
    assert_error(control(client, school.teacher_a, attempt_id, "reopen", minutes=5, reason="x"), 409,
                 "ATTEMPT_NOT_REOPENABLE")


def test_reopen_is_refused_while_the_student_has_another_attempt_in_progress(client, school, frozen):
    quiz, attempt_id = begin(client, school, max_attempts=2)
    control(client, school.teacher_a, attempt_id, "force-submit", reason="Restart")
    second = start(client, quiz, school.student_a)
    assert second.status_code == 201
    assert_error(control(client, school.teacher_a, attempt_id, "reopen", minutes=5, reason="x"), 409,
                 "ATTEMPT_IN_PROGRESS")


# --- who may ---------------------------------------------------------------------------

@pytest.mark.parametrize("action,body", [("extend", {"minutes": 5, "reason": "x"}),
                                         ("force-submit", {"reason": "x"}),
                                         ("reopen", {"minutes": 5, "reason": "x"})])
def test_controls_are_not_found_for_the_student_and_another_teacher(client, school, frozen, action, body):
    _quiz, attempt_id = begin(client, school)
    other = make_teacher(classes=[school.class_a])
    for user in (school.student_a, other):
        assert_error(control(client, user, attempt_id, action, **body), 404)
    assert fresh(attempt_id).status == "in_progress"


# --- the quiz-wide extend --------------------------------------------------------------

def test_quiz_extend_moves_every_attempt_in_progress_or_the_named_students(client, school, frozen):
    quiz = quiz_for(school, time_limit_minutes=30)
    running = [make_attempt(quiz, make_student(school.class_a)) for _ in range(2)]
    done = make_attempt(quiz, make_student(school.class_a), status="graded")
    url = f"/api/quizzes/{quiz.id}/extend"
    body = client.post(url, headers=auth(school.teacher_a), json={"minutes": 5, "reason": "Fire alarm"}).get_json()
    assert body["extended"] == 2 and {a["attempt_id"] for a in body["attempts"]} == {a.id for a in running}
    only = client.post(url, headers=auth(school.teacher_a), json={
        "minutes": 5, "reason": "Fire alarm", "student_ids": [running[0].student_id, done.student_id]}).get_json()
    assert [a["attempt_id"] for a in only["attempts"]] == [running[0].id]
    assert fresh(running[0].id).deadline_at == NOW + timedelta(minutes=40)
    assert fresh(running[1].id).deadline_at == NOW + timedelta(minutes=35)
    assert fresh(done.id).deadline_at == NOW + timedelta(minutes=30)
    assert len(audited("attempt_extended", running[0].id)) == 2


def test_quiz_extend_of_another_teachers_quiz_is_not_found(client, school, frozen):
    quiz = quiz_for(school)
    make_attempt(quiz, school.student_a)
    outsider = make_teacher(classes=[make_class()])
    for user in (outsider, school.student_a):
        assert_error(client.post(f"/api/quizzes/{quiz.id}/extend", headers=auth(user),
                                 json={"minutes": 5, "reason": "x"}), 404)


def test_force_submit_tells_the_student_their_teacher_closed_it(client, school, frozen):
    from app.notifications.models import Notification

    _quiz, attempt_id = begin(client, school)
    control(client, school.teacher_a, attempt_id, "force-submit", reason="Left the room")
    [notice] = db.session.scalars(select(Notification).where(Notification.user_id == school.student_a.id,
                                                             Notification.type == "attempt_auto_submitted")).all()
    assert "due to your teacher closing it" in notice.message and "Left the room" not in notice.message
