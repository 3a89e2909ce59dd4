from sqlalchemy import func, select

from app.attempts.models import QuizAttempt, StudentAnswer, Violation
from app.common import events
from app.extensions import db
from tests.attempts.conftest import captured, quiz_for, start
from tests.factories import auth, make_attempt, make_student
from tests.helpers import assert_error


def _begin(client, school, **kw):
    quiz = quiz_for(school, **kw)
    return quiz, start(client, quiz, school.student_a).get_json()["attempt_id"]


def _save(client, school, attempt_id, question, **answer):
    response = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                           json={"question_id": question.id, **answer})
    assert response.status_code == 200, response.get_json()


def test_submit_grades_objective_answers(client, school):
    _quiz, attempt_id = _begin(client, school, passing_percentage=50)
    q = school.q
    _save(client, school, attempt_id, q.mcq, answer_option=1)
    _save(client, school, attempt_id, q.tf, answer_option=1)
    _save(client, school, attempt_id, q.short, answer_text="  PHOTOSYNTHESIS ")
    response = client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "graded" and body["attempt_status"] == "graded"
    assert (body["score"], body["total_marks"], body["percentage"], body["passed"]) == (5.0, 6, 83.33, True)
    assert body["pending_manual_grading"] == 0 and body["auto_submit_reason"] is None
    assert body["time_remaining_seconds"] == 0
    db.session.rollback()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == "graded" and attempt.in_progress_key is None
    marks = {a.question_id: (a.is_correct, float(a.marks_awarded), a.is_final)
             for a in db.session.scalars(select(StudentAnswer).where(StudentAnswer.attempt_id == attempt_id))}
    assert marks == {q.mcq.id: (True, 2.0, True), q.tf.id: (False, 0.0, True), q.short.id: (True, 3.0, True)}


def test_submit_with_a_descriptive_answer_is_pending(client, school):
    q = school.q
    _quiz, attempt_id = _begin(client, school, questions=[q.mcq, q.essay])
    _save(client, school, attempt_id, q.mcq, answer_option=1)
    _save(client, school, attempt_id, q.essay, answer_text="Plants make food from light.")
    body = client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a)).get_json()
    assert body["status"] == "pending" and body["attempt_status"] == "submitted"
    assert body["pending_manual_grading"] == 1 and body["passed"] is None
    assert body["score"] == 2.0 and body["total_marks"] == 6


def test_submit_twice_is_conflict_with_the_attempts_state(client, school):
    _quiz, attempt_id = _begin(client, school)
    assert client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a)).status_code == 200
    again = client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a))
    details = assert_error(again, 409, "ATTEMPT_CLOSED")["details"]
    assert details["attempt_id"] == attempt_id and details["status"] == "graded"


def test_submit_publishes_attempt_submitted(client, school):
    with captured(events.attempt_submitted) as received:
        quiz, attempt_id = _begin(client, school)
        client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a))
    assert received == [{"attempt_id": attempt_id, "quiz_id": quiz.id, "student_id": school.student_a.id,
                         "status": "graded", "auto_submit_reason": None, "score": 0.0, "total_marks": 6,
                         "percentage": 0.0, "pending_manual_grading": 0}]


def test_submit_refuses_fields_it_does_not_take_and_keeps_the_attempt_open(client, school):
    _quiz, attempt_id = _begin(client, school)
    url = f"/api/attempts/{attempt_id}/submit"
    refused = assert_error(client.post(url, headers=auth(school.student_a), json={"score": 100}), 422)
    assert "score" in refused["details"]
    assert db.session.get(QuizAttempt, attempt_id).status == "in_progress"
    assert client.post(url, headers=auth(school.student_a), json={}).status_code == 200


def test_submit_without_a_body_still_submits(client, school):
    _quiz, attempt_id = _begin(client, school)
    assert client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a)).status_code == 200


def test_another_student_cannot_submit(client, school):
    _quiz, attempt_id = _begin(client, school)
    assert_error(client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(make_student(school.class_a))), 404)


def _report(client, school, attempt_id, **body):
    return client.post(f"/api/attempts/{attempt_id}/violations", headers=auth(school.student_a),
                       json={"violation_type": "tab_switch", **body})


def test_violation_is_recorded_and_counted(client, school):
    with captured(events.violation_recorded) as received:
        _quiz, attempt_id = _begin(client, school)
        response = _report(client, school, attempt_id, severity="high", question_index=2,
                           metadata={"hidden_ms": 4000})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["message"] == "Violation recorded"
    assert (body["total_violations"], body["max_violations"], body["remaining"]) == (1, 3, 2)
    assert body["auto_submit"] is False and body["auto_submitted"] is False
    assert {"server_time", "expires_at", "time_remaining_seconds"} <= body.keys()
    violation = db.session.get(Violation, body["violation_id"])
    assert (violation.severity, violation.question_index, violation.details) == ("high", 2, {"hidden_ms": 4000})
    assert received[0]["total_violations"] == 1 and received[0]["auto_submitted"] is False


def test_violation_severity_defaults_to_medium_and_types_are_checked(client, school):
    _quiz, attempt_id = _begin(client, school)
    body = _report(client, school, attempt_id).get_json()
    assert db.session.get(Violation, body["violation_id"]).severity == "medium"
    assert_error(_report(client, school, attempt_id, violation_type="sneezing"), 422)
    assert_error(_report(client, school, attempt_id, severity="extreme"), 422)


def test_retried_client_event_is_counted_once(client, school):
    _quiz, attempt_id = _begin(client, school)
    first = _report(client, school, attempt_id, client_event_id="evt-1").get_json()
    retry = _report(client, school, attempt_id, client_event_id="evt-1").get_json()
    assert retry["violation_id"] == first["violation_id"] and retry["duplicate"] is True
    assert retry["total_violations"] == 1
    assert db.session.scalar(select(func.count(Violation.id))) == 1


def test_reaching_max_violations_auto_submits_and_grades(client, school):
    _quiz, attempt_id = _begin(client, school, max_violations=2)
    _save(client, school, attempt_id, school.q.mcq, answer_option=1)
    assert _report(client, school, attempt_id).get_json()["auto_submitted"] is False
    body = _report(client, school, attempt_id, violation_type="copy_attempt").get_json()
    assert body["auto_submit"] is True and body["auto_submitted"] is True
    assert body["status"] == "graded" and body["remaining"] == 0
    db.session.rollback()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == "graded" and attempt.auto_submit_reason == "violations"
    assert attempt.auto_submitted_due_to_violations is True and float(attempt.score) == 2.0
    late = _report(client, school, attempt_id)
    assert assert_error(late, 409, "ATTEMPT_CLOSED")["details"]["status"] == "graded"


def test_retry_of_the_event_that_closed_the_attempt_is_not_a_conflict(client, school):
    _quiz, attempt_id = _begin(client, school, max_violations=1)
    first = _report(client, school, attempt_id, client_event_id="last").get_json()
    retry = _report(client, school, attempt_id, client_event_id="last")
    assert retry.status_code == 200
    assert retry.get_json()["violation_id"] == first["violation_id"] and retry.get_json()["auto_submitted"] is True


def test_violation_on_a_closed_attempt_is_conflict(client, school):
    attempt = make_attempt(quiz_for(school), school.student_a, status="submitted")
    assert_error(_report(client, school, attempt.id), 409, "ATTEMPT_CLOSED")


def test_violation_after_deadline_and_grace_closes_the_attempt(app, client, school):
    from datetime import datetime, timedelta

    from app.common import clock

    start_at = datetime(2026, 3, 2, 9, 0, 0)
    with clock.freeze(start_at) as frozen:
        _quiz, attempt_id = _begin(client, school, time_limit_minutes=5)
        frozen.advance(minutes=5, seconds=app.config["ATTEMPT_GRACE_SECONDS"] + 1)
        late = _report(client, school, attempt_id)
    assert assert_error(late, 409, "TIME_EXPIRED")["details"]["auto_submit_reason"] == "time_expired"
    db.session.rollback()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == "graded" and attempt.total_violations == 0
    assert start_at + timedelta(minutes=5) == attempt.deadline_at


def test_submit_after_deadline_and_grace_is_recorded_as_time_expired(app, client, school):
    from datetime import datetime

    from app.common import clock

    with clock.freeze(datetime(2026, 3, 2, 9, 0, 0)) as frozen:
        _quiz, attempt_id = _begin(client, school, time_limit_minutes=5)
        frozen.advance(minutes=6)
        body = client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a)).get_json()
    assert body["attempt_status"] == "graded" and body["auto_submit_reason"] == "time_expired"
