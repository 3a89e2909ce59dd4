import pytest

from tests.factories import assign_teacher, auth, make_class, make_student, make_teacher
from tests.helpers import assert_error


@pytest.fixture
def class_c(school):
    """A third class of the shared school, taught by teacher A too, with one student, Carla."""
    school_class = make_class(section="C")  # never the shared school's "Class 10" A or B
    assign_teacher(school.teacher_a, school_class)
    make_student(school_class, name="Carla")
    return school_class


def test_admin_lists_and_searches_teachers(client, school, class_c):
    headers = auth(school.admin)
    body = client.get("/api/teachers", headers=headers).get_json()
    assert [t["name"] for t in body["items"]] == ["Amina Haddad", "John Teacher"]
    assert body["total"] == 2
    john = body["items"][1]
    assert john["subject"] == "Mathematics" and len(john["classes"]) == 2
    searched = client.get("/api/teachers?search=amina", headers=headers).get_json()
    assert [t["id"] for t in searched["items"]] == [school.teacher_b.id]
    paged = client.get("/api/teachers?limit=1&page=2&ordering=-name", headers=headers).get_json()
    assert [t["name"] for t in paged["items"]] == ["Amina Haddad"] and paged["pages"] == 2


def test_teacher_sees_only_themself(client, school):
    teacher = school.teacher_a
    body = client.get("/api/teachers", headers=auth(teacher)).get_json()
    assert [t["id"] for t in body["items"]] == [teacher.id]
    assert client.get(f"/api/teachers/{teacher.id}", headers=auth(teacher)).status_code == 200
    other = school.teacher_b.id
    for path in ("", "/classes", "/students"):
        assert_error(client.get(f"/api/teachers/{other}{path}", headers=auth(teacher)), 404)


def test_students_are_refused(client, school):
    headers = auth(school.student_a)
    assert_error(client.get("/api/teachers", headers=headers), 403)
    assert_error(client.get(f"/api/teachers/{school.teacher_a.id}", headers=headers), 403)


def test_get_teacher_carries_their_classes(client, school, class_c):
    teacher = school.teacher_a
    body = client.get(f"/api/teachers/{teacher.id}", headers=auth(school.admin)).get_json()
    assert body["name"] == "John Teacher" and body["email"] == teacher.email
    assert {c["id"] for c in body["classes"]} == {school.class_a.id, class_c.id}
    assert set(body["classes"][0]) == {"id", "name", "section", "academic_year"}


def test_teacher_classes_and_students_endpoints(client, school, class_c):
    teacher = school.teacher_a
    for user in (school.admin, teacher):
        classes = client.get(f"/api/teachers/{teacher.id}/classes", headers=auth(user)).get_json()
        assert {c["id"] for c in classes["items"]} == {school.class_a.id, class_c.id}
        students = client.get(f"/api/teachers/{teacher.id}/students", headers=auth(user)).get_json()
        assert [s["name"] for s in students["items"]] == ["Alice Johnson", "Carla"]
        assert students["items"][0]["class"]["id"] == school.class_a.id
    searched = client.get(f"/api/teachers/{teacher.id}/students?search=carla", headers=auth(teacher)).get_json()
    assert [s["name"] for s in searched["items"]] == ["Carla"]


def test_unknown_teacher_is_404_for_an_admin(client, school):
    assert_error(client.get("/api/teachers/00000000-0000-0000-0000-000000000000", headers=auth(school.admin)), 404)
    assert_error(client.get(f"/api/teachers/{school.student_a.id}", headers=auth(school.admin)), 404)


def test_teacher_list_takes_the_same_queries_for_any_size(client, school, class_c, count_queries):
    headers = auth(school.admin)
    with count_queries() as few:
        client.get("/api/teachers", headers=headers)
    for _ in range(6):
        make_teacher(classes=[make_class()])
    with count_queries() as many:
        body = client.get("/api/teachers", headers=headers).get_json()
    assert len(body["items"]) == 8
    assert many.count == few.count
