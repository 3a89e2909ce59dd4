"""Times in and out: windows on the attempt list, offsets required, milliseconds kept."""
from datetime import datetime
from urllib.parse import quote

from app.common.db import commit
from tests.attempts.conftest import quiz_for
from tests.factories import auth, make_attempt, make_student
from tests.helpers import assert_error

JAN = datetime(2026, 1, 10, 9, 0, 0)


def listed(client, user, query: str) -> set[str]:
    response = client.get(f"/api/attempts?{query}", headers=auth(user))
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def three_attempts(school):
    quiz = quiz_for(school, max_attempts=5)
    students = [school.student_a] + [make_student(school.class_a) for _ in range(2)]
    early = make_attempt(quiz, students[0], status="graded", started_at=datetime(2026, 1, 10, 9, 0, 0))
    middle = make_attempt(quiz, students[1], status="graded", started_at=datetime(2026, 1, 10, 10, 0, 0, 500000))
    late = make_attempt(quiz, students[2], status="in_progress", started_at=datetime(2026, 1, 10, 11, 0, 0))
    return early, middle, late


def test_attempts_filter_by_when_they_were_started_and_submitted(client, school):
    early, middle, late = three_attempts(school)
    teacher = school.teacher_a
    assert listed(client, teacher, "created_after=2026-01-10T10:00:00Z") == {middle.id, late.id}
    assert listed(client, teacher, "created_before=2026-01-10T10:00:00Z") == {early.id}
    assert listed(client, teacher, "created_after=2026-01-10T09:30:00Z&created_before=2026-01-10T10:30:00Z") == {
        middle.id}
    # 10:05 submission of the middle attempt: +05:00 offsets are converted to UTC.
    assert listed(client, teacher, "submitted_after=" + quote("2026-01-10T15:04:00+05:00")) == {middle.id}
    assert listed(client, teacher, "submitted_before=2026-01-10T10:00:00Z") == {early.id}


def test_a_window_that_ends_before_it_starts_is_422(client, school):
    query = "created_after=2026-01-11T00:00:00Z&created_before=2026-01-10T00:00:00Z"
    body = assert_error(client.get(f"/api/attempts?{query}", headers=auth(school.teacher_a)), 422)
    assert "created_before" in body["details"]


def test_a_time_without_an_offset_is_refused(client, school):
    body = assert_error(client.get("/api/attempts?created_after=2026-01-10T10:00:00", headers=auth(school.teacher_a)),
                        422)
    assert "Z" in body["details"]["created_after"][0]


def test_milliseconds_are_kept_in_responses(client, school):
    _early, middle, _late = three_attempts(school)
    middle.started_at = datetime(2026, 1, 10, 10, 0, 0, 123456)
    commit()
    body = client.get(f"/api/attempts/{middle.id}", headers=auth(school.teacher_a)).get_json()
    assert body["started_at"] == "2026-01-10T10:00:00.123Z"
    items = client.get("/api/attempts?created_before=2026-01-10T09:30:00Z", headers=auth(school.teacher_a)).get_json()
    assert items["items"][0]["started_at"] == "2026-01-10T09:00:00Z"

