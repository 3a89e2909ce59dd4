from decimal import Decimal

from tests.analytics.conftest import finish
from tests.factories import (
    auth,
    make_admin,
    make_answer,
    make_attempt,
    make_class,
    make_question,
    make_quiz,
    make_student,
    make_teacher,
)
from tests.helpers import assert_error


def other_teachers_quiz(student, score):
    """A second teacher's science quiz that `student` took, scoring `score` of 4."""
    teacher = make_teacher(name="Mr Science")
    question = make_question(teacher, type="mcq", marks=4)
    quiz = make_quiz(teacher, questions=[question], subject="Science", title="Cells")
    attempt = make_attempt(quiz, student, status="submitted")
    make_answer(attempt, question, option=1, marks_awarded=Decimal(score))
    finish(attempt, quiz)
    return teacher, quiz


def test_admin_dashboard_totals(client, known_quiz):
    admin = make_admin()
    other_teachers_quiz(known_quiz["students"][0], 4)
    body = client.get("/api/analytics/admin", headers=auth(admin)).get_json()
    assert body["total_users"] == {"admins": 1, "teachers": 2, "students": 6}
    assert body["total_quizzes"] == 2 and body["active_quizzes"] == 2
    assert body["total_attempts"] == 5 and body["in_progress"] == 1
    assert body["pass_rate"] == 60
    assert body["top_students"][0]["student"]["name"] == "Alice Martin"
    assert body["top_students"][0]["average_score"] == 100
    teachers = {t["teacher"]["name"]: t for t in body["teacher_stats"]}
    assert teachers["Ms Teacher"]["quizzes"] == 1 and teachers["Ms Teacher"]["attempts"] == 4
    assert teachers["Mr Science"]["average_score"] == 100
    subjects = {s["subject"]: s for s in body["performance_by_subject"]}
    assert subjects["Mathematics"]["attempts"] == 4 and subjects["Mathematics"]["average_score"] == 46.88
    assert body["violation_summary"]["total_violations"] == 3
    assert len(body["recent_activity"]) == 6


def test_admin_dashboard_is_admin_only(client, known_quiz):
    assert_error(client.get("/api/analytics/admin", headers=auth(known_quiz["teacher"])), 403)
    assert_error(client.get("/api/analytics/admin", headers=auth(known_quiz["students"][0])), 403)


def test_teacher_dashboard_counts_only_own_quizzes(client, known_quiz):
    other_teachers_quiz(known_quiz["students"][0], 4)
    teacher = known_quiz["teacher"]
    body = client.get(f"/api/analytics/teacher/{teacher.id}", headers=auth(teacher)).get_json()
    assert body["my_quizzes"] == 1 and body["my_classes"] == 1
    assert body["my_students"] == 6  # four finished, one running, one reset: all in the class
    assert body["total_attempts"] == 4 and body["pending_grading"] == 0
    assert [q["quiz"]["title"] for q in body["quiz_performance"]] == ["Term 1 Algebra"]
    assert body["quiz_performance"][0]["pass_rate"] == 50
    assert [s["subject"] for s in body["performance_by_subject"]] == ["Mathematics"]


def test_teacher_dashboard_of_another_teacher_is_not_found(client, known_quiz):
    other = make_teacher()
    teacher = known_quiz["teacher"]
    assert_error(client.get(f"/api/analytics/teacher/{teacher.id}", headers=auth(other)), 404)
    assert_error(client.get(f"/api/analytics/teacher/{teacher.id}", headers=auth(known_quiz["students"][0])), 403)
    assert client.get(f"/api/analytics/teacher/{teacher.id}", headers=auth(make_admin())).status_code == 200


def test_student_dashboard_for_the_student(client, known_quiz):
    alice = known_quiz["students"][0]
    other_teachers_quiz(alice, 0)
    body = client.get(f"/api/analytics/student/{alice.id}", headers=auth(alice)).get_json()
    assert body["student"]["name"] == "Alice Martin"
    assert body["total_attempts"] == 2 and body["average_score"] == 50
    assert body["quizzes_passed"] == 1 and body["quizzes_failed"] == 1
    assert {s["subject"]: s["average_score"] for s in body["performance_by_subject"]} == {
        "Mathematics": 100, "Science": 0}
    assert [r["quiz"]["title"] for r in body["recent_results"]][0] in ("Cells", "Term 1 Algebra")
    assert body["violation_summary"]["by_type"] == {"tab_switch": 2}


def test_teacher_sees_only_their_quizzes_in_a_student_dashboard(client, known_quiz):
    alice = known_quiz["students"][0]
    other_teachers_quiz(alice, 0)
    body = client.get(f"/api/analytics/student/{alice.id}", headers=auth(known_quiz["teacher"])).get_json()
    assert body["total_attempts"] == 1 and body["quizzes_failed"] == 0
    admin_view = client.get(f"/api/analytics/student/{alice.id}", headers=auth(make_admin())).get_json()
    assert admin_view["total_attempts"] == 2


def test_student_dashboard_visibility(client, known_quiz):
    alice, bruno = known_quiz["students"][:2]
    assert_error(client.get(f"/api/analytics/student/{alice.id}", headers=auth(bruno)), 404)
    outsider = make_teacher(classes=[make_class()])
    assert_error(client.get(f"/api/analytics/student/{alice.id}", headers=auth(outsider)), 404)


def test_dashboards_use_a_constant_number_of_queries(client, known_quiz, count_queries):
    admin, teacher, alice = make_admin(), known_quiz["teacher"], known_quiz["students"][0]
    paths = [("/api/analytics/admin", admin), (f"/api/analytics/teacher/{teacher.id}", teacher),
             (f"/api/analytics/student/{alice.id}", alice)]
    headers = {path: auth(user) for path, user in paths}
    before = {}
    for path, _user in paths:
        with count_queries() as counted:
            assert client.get(path, headers=headers[path]).status_code == 200
        before[path] = counted.count
    quiz, q1 = known_quiz["quiz"], known_quiz["questions"][0]
    for n in range(2, 6):
        attempt = make_attempt(quiz, alice if n < 4 else make_student(known_quiz["cls"]), status="submitted",
                               attempt_number=n)
        make_answer(attempt, q1, option=1, marks_awarded=Decimal(2))
        finish(attempt, quiz)
    for path, _user in paths:
        with count_queries() as counted:
            client.get(path, headers=headers[path])
        assert counted.count == before[path], path
