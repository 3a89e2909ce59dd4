"""/api/students/{id}/accommodations: staff read and set extra time; the note stays with staff."""
from types import SimpleNamespace

import pytest

from app.common.audit import AuditLog
from tests.factories import auth, make_admin, make_class, make_student, make_teacher
from tests.helpers import assert_error


@pytest.fixture
def side(app):
    cls = make_class()
    return SimpleNamespace(cls=cls, teacher=make_teacher(classes=[cls]), student=make_student(cls))


def url(student):
    return f"/api/students/{student.id}/accommodations"


def test_no_accommodation_reads_as_none(client, side):
    body = client.get(url(side.student), headers=auth(side.teacher)).get_json()
    assert body == {"student_id": side.student.id, "extra_time_percent": 0, "extra_time_minutes": 0,
                    "note": None, "updated_by": None, "updated_at": None}


def test_students_teacher_sets_and_reads_it_and_the_change_is_audited(client, side):
    headers = auth(side.teacher)
    put = client.put(url(side.student), json={"extra_time_percent": 25, "extra_time_minutes": 10,
                                              "note": "Reader pen"}, headers=headers)
    assert put.status_code == 200, put.get_json()
    body = client.get(url(side.student), headers=auth(make_admin())).get_json()
    assert (body["extra_time_percent"], body["extra_time_minutes"], body["note"]) == (25, 10, "Reader pen")
    assert body["updated_by"] == side.teacher.id
    again = client.put(url(side.student), json={"extra_time_percent": 0, "extra_time_minutes": 5},
                       headers=headers).get_json()
    assert again["note"] is None
    audits = list(AuditLog.query.filter_by(action="accommodation_set", entity_id=side.student.id))
    assert sorted(a.new_value["extra_time_percent"] for a in audits) == [0, 25]
    assert [a.old_value is None for a in audits].count(True) == 1  # the first set had nothing before it


def test_another_teachers_student_is_not_found(client, side):
    other = make_teacher(classes=[make_class()])
    assert_error(client.get(url(side.student), headers=auth(other)), 404)
    assert_error(client.put(url(side.student), json={"extra_time_percent": 50, "extra_time_minutes": 0},
                            headers=auth(other)), 404)


def test_students_are_refused_even_for_themselves(client, side):
    assert_error(client.get(url(side.student), headers=auth(side.student)), 403)
    assert_error(client.put(url(side.student), json={"extra_time_percent": 50, "extra_time_minutes": 0},
                            headers=auth(side.student)), 403)


@pytest.mark.parametrize("body", [
    {"extra_time_percent": 401, "extra_time_minutes": 0},
    {"extra_time_percent": -1, "extra_time_minutes": 0},
    {"extra_time_percent": 10, "extra_time_minutes": -5},
    {"extra_time_percent": 10},
    {"extra_time_percent": "10", "extra_time_minutes": 0},
    {"extra_time_percent": 10, "extra_time_minutes": 0, "note": "x" * 2001},
])
def test_out_of_range_values_are_422(client, side, body):
    assert_error(client.put(url(side.student), json=body, headers=auth(side.teacher)), 422)
