"""/api/quizzes/{id}/overrides: who manages them, what they refuse, what they record."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.common.audit import AuditLog
from app.extensions import db
from app.quizzes.models import QuizOverride
from tests.factories import (
    auth,
    make_admin,
    make_attempt,
    make_class,
    make_override,
    make_question,
    make_quiz,
    make_student,
    make_teacher,
)
from tests.helpers import assert_error


@pytest.fixture
def side(app):
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    student = make_student(cls)
    quiz = make_quiz(teacher, questions=[make_question(teacher)], classes=[cls], time_limit_minutes=30)
    return SimpleNamespace(cls=cls, teacher=teacher, student=student, quiz=quiz)


def url(quiz, override_id=None):
    base = f"/api/quizzes/{quiz.id}/overrides"
    return f"{base}/{override_id}" if override_id else base


def test_teacher_creates_reads_updates_and_deletes_a_student_override(client, side):
    headers = auth(side.teacher)
    created = client.post(url(side.quiz), json={"student_id": side.student.id, "time_limit_minutes": 45,
                                                "end_date": "2099-01-01T00:00:00Z"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["student_id"] == side.student.id and body["class_id"] is None
    assert body["time_limit_minutes"] == 45 and body["max_attempts"] is None
    assert body["student_name"] == side.student.name
    override_id = body["id"]
    assert client.get(url(side.quiz, override_id), headers=headers).get_json()["end_date"] == "2099-01-01T00:00:00Z"
    listed = client.get(url(side.quiz), headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == override_id
    updated = client.put(url(side.quiz, override_id), json={"time_limit_minutes": None, "max_attempts": 2},
                         headers=headers).get_json()
    assert updated["time_limit_minutes"] is None and updated["max_attempts"] == 2
    assert client.delete(url(side.quiz, override_id), headers=headers).status_code == 200
    assert db.session.get(QuizOverride, override_id) is None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity_id == override_id)).all()
    assert sorted(actions) == ["quiz_override_created", "quiz_override_deleted", "quiz_override_updated"]


def test_class_override_for_an_assigned_class(client, side):
    response = client.post(url(side.quiz), json={"class_id": side.cls.id, "max_attempts": 3},
                           headers=auth(side.teacher))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["class_name"] == side.cls.name


def test_class_the_quiz_is_not_assigned_to_is_refused_with_422(client, side):
    other = make_class()
    admin = make_admin()
    body = assert_error(client.post(url(side.quiz), json={"class_id": other.id, "max_attempts": 3},
                                    headers=auth(admin)), 422)
    assert "class_id" in body["details"]


def test_student_outside_the_quizs_classes_is_refused_with_422(client, side):
    outsider = make_student(make_class())
    body = assert_error(client.post(url(side.quiz), json={"student_id": outsider.id, "max_attempts": 3},
                                    headers=auth(make_admin())), 422)
    assert "student_id" in body["details"]


def test_another_teachers_student_class_or_quiz_is_not_found(client, side):
    other = SimpleNamespace(cls=make_class())
    other.teacher = make_teacher(classes=[other.cls])
    other.student = make_student(other.cls)
    headers = auth(side.teacher)
    assert_error(client.post(url(side.quiz), json={"student_id": other.student.id, "max_attempts": 2},
                             headers=headers), 404)
    assert_error(client.post(url(side.quiz), json={"class_id": other.cls.id, "max_attempts": 2},
                             headers=headers), 404)
    override = make_override(side.quiz, student=side.student, max_attempts=2)
    for method in ("get", "put", "delete"):
        response = getattr(client, method)(url(side.quiz, override.id), json={"max_attempts": 3},
                                           headers=auth(other.teacher))
        assert_error(response, 404)
    assert_error(client.get(url(side.quiz), headers=auth(other.teacher)), 404)


def test_override_of_another_quiz_is_not_found_through_this_one(client, side):
    second = make_quiz(side.teacher, classes=[side.cls])
    override = make_override(second, student=side.student, max_attempts=2)
    assert_error(client.get(url(side.quiz, override.id), headers=auth(side.teacher)), 404)


def test_students_may_not_manage_overrides(client, side):
    assert_error(client.get(url(side.quiz), headers=auth(side.student)), 403)
    assert_error(client.post(url(side.quiz), json={"student_id": side.student.id, "max_attempts": 5},
                             headers=auth(side.student)), 403)


@pytest.mark.parametrize("body", [
    {"max_attempts": 2},                                                  # no target
    {"student_id": "S", "class_id": "C", "max_attempts": 2},              # two targets
    {"student_id": "S"},                                                  # nothing to override
    {"student_id": "S", "time_limit_minutes": 0},
    {"student_id": "S", "max_attempts": 0},
    {"student_id": "S", "start_date": "2030-01-02T00:00:00Z", "end_date": "2030-01-01T00:00:00Z"},
    {"student_id": "S", "max_attempts": 2, "quiz_id": "Q"},               # unknown field
])
def test_malformed_override_bodies_are_422(client, side, body):
    ids = {"S": side.student.id, "C": side.cls.id, "Q": side.quiz.id}
    body = {key: ids.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    assert_error(client.post(url(side.quiz), json=body, headers=auth(side.teacher)), 422)


def test_override_ending_before_the_quizs_own_start_is_422(client, side):
    start = side.quiz.start_date
    assert_error(client.post(url(side.quiz), json={"student_id": side.student.id,
                                                   "end_date": f"{start.replace(year=start.year - 1).isoformat()}Z"},
                             headers=auth(side.teacher)), 422)


def test_second_override_for_the_same_student_is_409(client, side):
    make_override(side.quiz, student=side.student, max_attempts=2)
    assert_error(client.post(url(side.quiz), json={"student_id": side.student.id, "max_attempts": 3},
                             headers=auth(side.teacher)), 409, "OVERRIDE_EXISTS")


def test_deleting_an_override_keeps_the_students_attempts(client, side):
    override = make_override(side.quiz, student=side.student, max_attempts=2)
    attempt = make_attempt(side.quiz, side.student, status="graded")
    assert client.delete(url(side.quiz, override.id), headers=auth(side.teacher)).status_code == 200
    db.session.expire_all()
    assert db.session.get(type(attempt), attempt.id) is not None


def test_override_list_searches_student_and_class_names(client, side):
    other = make_student(side.cls, name="Zoe Quinn")
    make_override(side.quiz, student=other, max_attempts=2)
    make_override(side.quiz, school_class=side.cls, max_attempts=3)
    headers = auth(side.teacher)

    def names(search):
        items = client.get(url(side.quiz), query_string={"search": search}, headers=headers).get_json()["items"]
        return sorted(item["student_name"] or item["class_name"] for item in items)

    assert names("zoe") == ["Zoe Quinn"]
    assert names(side.cls.name) == [side.cls.name]
    assert client.get(url(side.quiz), query_string={"ordering": "name"}, headers=headers).status_code == 422
