from datetime import datetime, timedelta

from app.attempts.models import QuizAttempt
from app.common import clock
from app.extensions import db
from app.questions.models import ANSWER_KEY_FIELDS
from tests.attempts.conftest import captured, quiz_for, start
from tests.factories import auth, make_attempt, make_class, make_student
from tests.helpers import assert_error, walk_keys

NOW = datetime(2026, 3, 2, 9, 0, 0)


def test_start_creates_attempt_with_clock_and_questions_without_answers(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=30)
        response = start(client, quiz, school.student_a)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["server_time"] == "2026-03-02T09:00:00Z"
    assert body["expires_at"] == "2026-03-02T09:30:00Z"
    assert body["time_remaining_seconds"] == 1800
    assert body["attempt_number"] == 1 and body["status"] == "in_progress"
    assert [q["id"] for q in body["questions"]] == [school.q.mcq.id, school.q.tf.id, school.q.short.id]
    assert body["questions"][0]["options"] == [
        {"index": 0, "text": "red"}, {"index": 1, "text": "green"}, {"index": 2, "text": "blue"},
        {"index": 3, "text": "grey"}]
    assert body["quiz"]["question_count"] == 3 and body["quiz"]["total_marks"] == 6
    assert not set(walk_keys(body)) & set(ANSWER_KEY_FIELDS)


def test_start_while_in_progress_returns_the_same_attempt_with_200(client, school):
    quiz = quiz_for(school)
    first = start(client, quiz, school.student_a)
    again = start(client, quiz, school.student_a)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["attempt_id"] == first.get_json()["attempt_id"]
    assert db.session.query(QuizAttempt).count() == 1


def test_deadline_is_capped_by_the_quiz_end_date(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=60, end=NOW + timedelta(minutes=10))
        body = start(client, quiz, school.student_a).get_json()
    assert body["expires_at"] == "2026-03-02T09:10:00Z"
    assert body["time_remaining_seconds"] == 600


def test_randomised_order_is_decided_once_and_kept_on_reload(client, school):
    q = school.q
    extra = [q.mcq, q.tf, q.short, q.essay]
    quiz = quiz_for(school, questions=extra, randomize_questions=True, randomize_options=True)
    first = start(client, quiz, school.student_a).get_json()
    attempt = db.session.get(QuizAttempt, first["attempt_id"])
    assert sorted(attempt.question_order) == sorted(x.id for x in extra)
    assert [x["id"] for x in first["questions"]] == attempt.question_order
    mcq = next(x for x in first["questions"] if x["id"] == q.mcq.id)
    assert [o["index"] for o in mcq["options"]] == attempt.option_order[q.mcq.id]
    assert {o["index"]: o["text"] for o in mcq["options"]} == {0: "red", 1: "green", 2: "blue", 3: "grey"}
    again = start(client, quiz, school.student_a).get_json()
    detail = client.get(f"/api/attempts/{first['attempt_id']}", headers=auth(school.student_a)).get_json()
    assert again["questions"] == first["questions"]
    assert detail["questions"] == first["questions"]


def test_start_of_a_draft_quiz_is_not_found(client, school):
    quiz = quiz_for(school, status="draft")
    assert_error(start(client, quiz, school.student_a), 404, "NOT_FOUND")


def test_start_before_the_window_opens_is_refused(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, start=NOW + timedelta(hours=1))
        assert_error(start(client, quiz, school.student_a), 409, "QUIZ_NOT_OPEN")
        quiz_closed = quiz_for(school, start=NOW - timedelta(days=2), end=NOW - timedelta(days=1))
        assert_error(start(client, quiz_closed, school.student_a), 409, "QUIZ_NOT_OPEN")


def test_student_of_another_class_cannot_start(client, school):
    outsider = make_student(make_class())
    assert_error(start(client, quiz_for(school), outsider), 404, "NOT_FOUND")


def test_teacher_cannot_start(client, school):
    assert_error(start(client, quiz_for(school), school.teacher_a), 403, "FORBIDDEN")


def test_no_attempts_left_after_the_last_one(client, school):
    quiz = quiz_for(school, max_attempts=2)
    make_attempt(quiz, school.student_a, status="graded", attempt_number=1)
    second = start(client, quiz, school.student_a)
    assert second.status_code == 201 and second.get_json()["attempt_number"] == 2
    attempt_id = second.get_json()["attempt_id"]
    assert client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a)).status_code == 200
    assert_error(start(client, quiz, school.student_a), 409, "NO_ATTEMPTS_LEFT")


def test_start_closes_an_abandoned_attempt_for_good_even_when_refused(client, school):
    with clock.freeze(NOW) as frozen:
        quiz = quiz_for(school, time_limit_minutes=10, max_attempts=1)
        attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
        frozen.advance(minutes=20)
        assert_error(start(client, quiz, school.student_a), 409, "NO_ATTEMPTS_LEFT")
    db.session.rollback()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == "graded" and attempt.auto_submit_reason == "time_expired"
    assert attempt.in_progress_key is None


def test_start_after_an_abandoned_attempt_begins_the_next_one(client, school):
    with clock.freeze(NOW) as frozen:
        quiz = quiz_for(school, time_limit_minutes=10, max_attempts=2)
        first = start(client, quiz, school.student_a).get_json()
        frozen.advance(minutes=20)
        second = start(client, quiz, school.student_a)
    assert second.status_code == 201
    assert second.get_json()["attempt_number"] == 2
    assert second.get_json()["attempt_id"] != first["attempt_id"]


def test_attempt_started_is_published_once_not_on_resume(client, school):
    from app.common import events

    with captured(events.attempt_started) as received:
        quiz = quiz_for(school)
        attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
        start(client, quiz, school.student_a)
    assert len(received) == 1
    assert received[0] == {**received[0], "attempt_id": attempt_id, "quiz_id": quiz.id,
                           "student_id": school.student_a.id, "student_name": school.student_a.name,
                           "attempt_number": 1, "total_questions": 3}
    assert received[0]["expires_at"] > received[0]["started_at"]
