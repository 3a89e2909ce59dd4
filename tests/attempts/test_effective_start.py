"""Overrides and accommodations as a student meets them: start, list, detail, `available`."""
from datetime import datetime, timedelta

import pytest

from app.common import clock
from tests.attempts.conftest import quiz_for, start
from tests.factories import auth, make_accommodation, make_attempt, make_class, make_override
from tests.helpers import assert_error

NOW = datetime(2026, 3, 2, 9, 0, 0)


def expires_in_minutes(body) -> float:
    return body["time_remaining_seconds"] / 60


@pytest.mark.parametrize(("percent", "minutes", "expected"), [
    (50, 0, 45),      # 30 × 1.5
    (0, 10, 40),      # 30 + 10
    (25, 5, 43),      # ceil(30 × 1.25 = 37.5) + 5
    (400, 0, 150),    # the largest percentage
])
def test_accommodation_lengthens_the_time_limit(client, school, percent, minutes, expected):
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=30)
        make_accommodation(school.student_a, percent=percent, minutes=minutes)
        body = start(client, quiz, school.student_a).get_json()
    assert body["effective_time_limit_minutes"] == expected
    assert body["expires_at"] == (NOW + timedelta(minutes=expected)).isoformat() + "Z"
    assert body["quiz"]["time_limit_minutes"] == 30


def test_accommodated_deadline_is_still_capped_by_the_window_end(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=30, end=NOW + timedelta(minutes=40))
        make_accommodation(school.student_a, percent=50)
        body = start(client, quiz, school.student_a).get_json()
    assert body["effective_time_limit_minutes"] == 45
    assert body["expires_at"] == "2026-03-02T09:40:00Z"


def test_an_override_that_moves_the_end_moves_the_cap_and_extra_time_applies_to_its_limit(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=30, end=NOW + timedelta(minutes=40))
        make_override(quiz, student=school.student_a, time_limit_minutes=40, end_date=NOW + timedelta(hours=2))
        make_accommodation(school.student_a, percent=50)
        body = start(client, quiz, school.student_a).get_json()
    assert body["effective_time_limit_minutes"] == 60
    assert body["effective_end_date"] == "2026-03-02T11:00:00Z"
    assert body["expires_at"] == "2026-03-02T10:00:00Z"


def test_student_override_beats_class_override_beats_quiz_setting_by_setting(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=30, max_attempts=1)
        make_override(quiz, school_class=school.class_a, time_limit_minutes=50, max_attempts=2)
        make_override(quiz, student=school.student_a, time_limit_minutes=70)
        body = start(client, quiz, school.student_a).get_json()
    assert body["effective_time_limit_minutes"] == 70      # the student's
    assert body["effective_max_attempts"] == 2             # the class's: the student's override leaves it
    assert body["attempts_remaining"] == 1
    assert body["expires_at"] == "2026-03-02T10:10:00Z"


def test_class_override_applies_to_its_class_only(client, school):
    other_class = make_class()
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=30)
        make_override(quiz, school_class=other_class, time_limit_minutes=90)
        body = start(client, quiz, school.student_a).get_json()
    assert body["effective_time_limit_minutes"] == 30


def test_class_override_window_lets_the_class_start_after_the_quiz_closed(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, start=NOW - timedelta(days=2), end=NOW - timedelta(days=1))
        assert_error(start(client, quiz, school.student_a), 409, "QUIZ_NOT_OPEN")
        make_override(quiz, school_class=school.class_a, start_date=NOW - timedelta(hours=1),
                      end_date=NOW + timedelta(hours=1))
        assert start(client, quiz, school.student_a).status_code == 201


def test_student_override_window_in_the_future_refuses_a_start_the_quiz_would_allow(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school)
        make_override(quiz, student=school.student_a, start_date=NOW + timedelta(days=1),
                      end_date=NOW + timedelta(days=2))
        assert_error(start(client, quiz, school.student_a), 409, "QUIZ_NOT_OPEN")


def test_override_max_attempts_is_enforced_on_start(client, school):
    quiz = quiz_for(school, max_attempts=1)
    make_attempt(quiz, school.student_a, status="graded")
    assert_error(start(client, quiz, school.student_a), 409, "NO_ATTEMPTS_LEFT")
    make_override(quiz, student=school.student_a, max_attempts=2)
    body = start(client, quiz, school.student_a).get_json()
    assert body["attempt_number"] == 2 and body["attempts_remaining"] == 0


def test_access_code_required_by_an_override_needs_the_code(client, school):
    quiz = quiz_for(school, access_code="EXAMDAY1")
    make_override(quiz, school_class=school.class_a, access_code_required=True)
    url, headers = f"/api/quizzes/{quiz.id}/start", auth(school.student_a)
    assert_error(client.post(url, headers=headers), 403, "ACCESS_CODE_REQUIRED")
    assert_error(client.post(url, json={"access_code": "WRONG"}, headers=headers), 403, "ACCESS_CODE_REQUIRED")
    response = client.post(url, json={"access_code": "examday1"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["effective_access_code_required"] is True


def test_student_override_can_lift_the_quizs_access_code_requirement(client, school):
    quiz = quiz_for(school, access_code_required=True)
    make_override(quiz, student=school.student_a, access_code_required=False)
    assert start(client, quiz, school.student_a).status_code == 201


def _student_reads(client, quiz, student) -> list[dict]:
    headers = auth(student)
    listed = client.get("/api/quizzes", headers=headers).get_json()["items"]
    detail = client.get(f"/api/quizzes/{quiz.id}", headers=headers).get_json()
    by_code = client.get(f"/api/quizzes/access/{quiz.access_code}", headers=headers).get_json()
    available = client.get(f"/api/attempts/available?quiz_id={quiz.id}", headers=headers).get_json()
    return [next(item for item in listed if item["id"] == quiz.id), detail, by_code, available]


def test_every_student_read_shows_the_same_effective_values(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=30, max_attempts=1, end=NOW + timedelta(days=1))
        make_override(quiz, school_class=school.class_a, max_attempts=3, end_date=NOW + timedelta(days=3))
        make_override(quiz, student=school.student_a, end_date=NOW + timedelta(days=5))
        make_accommodation(school.student_a, minutes=15, note="STAFF-ONLY-NOTE")
        make_attempt(quiz, school.student_a, status="graded")
        reads = _student_reads(client, quiz, school.student_a)
    for read in reads:
        assert read["effective_time_limit_minutes"] == 45
        assert read["effective_max_attempts"] == 3
        assert read["effective_end_date"] == "2026-03-07T09:00:00Z"
        assert read["effective_start_date"] == "2026-03-02T08:00:00Z"
        assert read["attempts_remaining"] == 2
        assert "STAFF-ONLY-NOTE" not in str(read) and "note" not in read
    listed, detail = reads[0], reads[1]
    assert listed["is_open"] is True and detail["is_open"] is True
    assert detail["time_limit_minutes"] == 30 and detail["max_attempts"] == 1


def test_student_list_shows_a_quiz_open_by_override_as_open(client, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, start=NOW - timedelta(days=2), end=NOW - timedelta(days=1))
        assert _student_reads(client, quiz, school.student_a)[0]["is_open"] is False
        make_override(quiz, student=school.student_a, end_date=NOW + timedelta(hours=1))
        assert _student_reads(client, quiz, school.student_a)[0]["is_open"] is True


def test_student_quiz_list_costs_the_same_queries_with_many_quizzes(client, school, count_queries):
    headers = auth(school.student_a)
    quiz_for(school)
    with count_queries() as few:
        client.get("/api/quizzes", headers=headers)
    for _ in range(4):
        make_override(quiz_for(school), student=school.student_a, time_limit_minutes=99)
    with count_queries() as many:
        client.get("/api/quizzes", headers=headers)
    assert many.count == few.count


def test_overrides_and_extra_time_add_no_statement_to_a_start(client, school, count_queries):
    plain, special = quiz_for(school), quiz_for(school)
    headers = auth(school.student_a)
    with count_queries() as without:
        assert client.post(f"/api/quizzes/{plain.id}/start", headers=headers).status_code == 201
    make_override(special, school_class=school.class_a, time_limit_minutes=40)
    make_override(special, student=school.student_a, max_attempts=2)
    make_accommodation(school.student_a, percent=10)
    with count_queries() as with_both:
        response = client.post(f"/api/quizzes/{special.id}/start", headers=headers)
    assert response.get_json()["effective_time_limit_minutes"] == 44
    assert with_both.count == without.count, with_both.statements


def test_no_attempts_left_says_the_quizs_limit_and_the_students_apart(client, school):
    quiz = quiz_for(school, max_attempts=1)
    make_override(quiz, student=school.student_a, max_attempts=2)
    make_attempt(quiz, school.student_a, status="graded")
    make_attempt(quiz, school.student_a, status="graded", attempt_number=2)
    body = assert_error(start(client, quiz, school.student_a), 409, "NO_ATTEMPTS_LEFT")
    assert body["details"] == {"max_attempts": 1, "effective_max_attempts": 2, "additional_granted": 0,
                               "used_attempts": 2}
