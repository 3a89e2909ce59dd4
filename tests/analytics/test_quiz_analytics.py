import math
import statistics
from decimal import Decimal

import pytest

from tests.analytics.conftest import finish
from tests.factories import auth, make_admin, make_answer, make_attempt, make_student, make_teacher
from tests.helpers import assert_error


def get_report(client, user, quiz_id):
    response = client.get(f"/api/analytics/quiz/{quiz_id}", headers=auth(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_summary_counts_only_finished_non_reset_attempts(client, known_quiz):
    body = get_report(client, known_quiz["teacher"], known_quiz["quiz"].id)
    assert body["quiz"]["total_marks"] == 8 and body["quiz"]["question_count"] == 3
    assert body["total_attempts"] == 4
    assert body["total_students"] == 4
    assert body["in_progress"] == 1
    assert body["pending_grading"] == 0
    assert body["average_score"] == 46.88  # (100 + 62.5 + 25 + 0) / 4
    assert body["average_marks"] == 3.75  # (8 + 5 + 2 + 0) / 4
    assert body["highest_score"] == 100 and body["lowest_score"] == 0
    assert body["passed_count"] == 2 and body["failed_count"] == 2
    assert body["pass_rate"] == 50


def test_score_distribution_has_ten_buckets(client, known_quiz):
    buckets = get_report(client, known_quiz["teacher"], known_quiz["quiz"].id)["score_distribution"]
    assert [b["range"] for b in buckets][:2] == ["0-10", "10-20"] and len(buckets) == 10
    assert {b["min"]: b["count"] for b in buckets if b["count"]} == {0: 1, 20: 1, 60: 1, 90: 1}


def test_question_statistics_match_hand_computed_values(client, known_quiz):
    stats = get_report(client, known_quiz["teacher"], known_quiz["quiz"].id)["question_statistics"]
    q1, q2, q3 = stats
    assert [s["question"]["id"] for s in stats] == [q.id for q in known_quiz["questions"]]
    # q1: marks 2,2,0,0 of 2
    assert (q1["correct_count"], q1["partially_correct_count"], q1["incorrect_count"]) == (2, 0, 2)
    assert q1["answered_count"] == 4 and q1["graded_count"] == 4
    assert q1["success_rate"] == 50 and q1["average_marks"] == 1 and q1["facility_index"] == 50
    # q2: marks 1,0,1,– (unanswered = 0) of 1
    assert (q2["correct_count"], q2["incorrect_count"], q2["answered_count"]) == (2, 2, 3)
    assert q2["facility_index"] == 50
    # q3: marks 5,3,1,– of 5: one full, two partial, one zero
    assert (q3["correct_count"], q3["partially_correct_count"], q3["incorrect_count"]) == (1, 2, 1)
    assert q3["success_rate"] == 25 and q3["average_marks"] == 2.25 and q3["facility_index"] == 45


def test_discrimination_index_is_correlation_with_rest_of_quiz(client, known_quiz):
    stats = get_report(client, known_quiz["teacher"], known_quiz["quiz"].id)["question_statistics"]
    # rest-of-quiz marks: q1 → 6,3,2,0 · q2 → 7,5,1,0 · q3 → 3,2,1,0
    assert [s["discrimination_index"] for s in stats] == [80.83, 26.21, 98.98]
    # hand values: q1 r = 7 / √75, q2 r = 1.5 / √32.75, q3 r = 8.5 / √73.75
    assert round(100 * 7 / math.sqrt(75), 2) == 80.83
    assert round(100 * statistics.correlation([1, 0, 1, 0], [7, 5, 1, 0]), 2) == 26.21
    assert round(100 * 8.5 / math.sqrt(73.75), 2) == 98.98


def test_discrimination_is_null_when_nobody_differs(client, known_quiz):
    quiz = known_quiz["quiz"]
    teacher = make_teacher()
    from tests.factories import make_question, make_quiz
    q = make_question(teacher, type="mcq", marks=1)
    other = make_question(teacher, type="mcq", marks=1)
    flat = make_quiz(teacher, questions=[q, other])
    for option in (1, 0):
        attempt = make_attempt(flat, make_student(known_quiz["cls"]), status="submitted")
        make_answer(attempt, q, option=1, marks_awarded=Decimal(1), is_correct=True)
        make_answer(attempt, other, option=option, marks_awarded=Decimal(option), is_correct=bool(option))
        finish(attempt, flat)
    stats = get_report(client, teacher, flat.id)["question_statistics"]
    assert stats[0]["facility_index"] == 100 and stats[0]["discrimination_index"] is None
    assert quiz.id != flat.id


def test_answers_awaiting_marks_are_left_out_of_their_question(client, known_quiz):
    quiz, (q1, _q2, q3) = known_quiz["quiz"], known_quiz["questions"]
    attempt = make_attempt(quiz, make_student(known_quiz["cls"]), status="submitted")
    make_answer(attempt, q1, option=1, marks_awarded=Decimal(2), is_correct=True)
    make_answer(attempt, q3, text="to be marked")
    finish(attempt, quiz, status="submitted")
    body = get_report(client, known_quiz["teacher"], quiz.id)
    assert body["total_attempts"] == 5 and body["pending_grading"] == 1
    s1, _s2, s3 = body["question_statistics"]
    assert s3["pending_count"] == 1 and s3["graded_count"] == 4 and s3["facility_index"] == 45
    assert s1["graded_count"] == 5 and s1["correct_count"] == 3


def test_student_performance_and_topics(client, known_quiz):
    quiz, (q1, q2, q3) = known_quiz["quiz"], known_quiz["questions"]
    bruno = known_quiz["students"][1]
    second = make_attempt(quiz, bruno, status="submitted", attempt_number=2)
    for q, marks in ((q1, 2), (q2, 1), (q3, 5)):
        make_answer(second, q, option=1 if q.type == "mcq" else 0, text="x", marks_awarded=Decimal(marks))
    finish(second, quiz)
    body = get_report(client, known_quiz["teacher"], quiz.id)
    rows = {r["student"]["name"]: r for r in body["student_performance"]}
    assert rows["Bruno Díaz"]["attempts"] == 2
    assert rows["Bruno Díaz"]["best_score"] == 100 and rows["Bruno Díaz"]["average_score"] == 81.25
    assert rows["أحمد علي"]["passed"] is False and rows["Alice Martin"]["passed"] is True
    assert rows["Alice Martin"]["student"]["class_name"] == "Year 9 B"
    assert "Eve Running" not in rows and "Fay Reset" not in rows
    topics = {t["topic"]: t["facility_index"] for t in body["performance_by_topic"]}
    assert topics == {"Algebra": 60.0, "Essays": 56.0}  # (6+3)/(10+5) and (5+3+1+0+5)/(5×5)


def test_violation_summary_by_type_ignores_reset_attempts(client, known_quiz):
    summary = get_report(client, known_quiz["teacher"], known_quiz["quiz"].id)["violation_summary"]
    assert summary["total_violations"] == 3
    assert summary["by_type"] == {"fullscreen_exit": 1, "tab_switch": 2}
    assert summary["attempts_with_violations"] == 2


def test_recent_activity_lists_latest_attempts_first(client, known_quiz):
    activity = get_report(client, known_quiz["teacher"], known_quiz["quiz"].id)["recent_activity"]
    assert len(activity) == 5  # four finished + one in progress, reset left out
    assert {a["student"]["name"] for a in activity} >= {"Eve Running", "Alice Martin"}


def test_quiz_analytics_query_count_does_not_grow_with_attempts(client, known_quiz, count_queries):
    quiz, (q1, _q2, q3) = known_quiz["quiz"], known_quiz["questions"]
    headers = auth(known_quiz["teacher"])
    with count_queries() as before:
        client.get(f"/api/analytics/quiz/{quiz.id}", headers=headers)
    for _ in range(6):
        attempt = make_attempt(quiz, make_student(known_quiz["cls"]), status="submitted")
        make_answer(attempt, q1, option=1, marks_awarded=Decimal(2))
        make_answer(attempt, q3, text="essay", marks_awarded=Decimal(4), graded_by=known_quiz["teacher"].id)
        finish(attempt, quiz)
    with count_queries() as after:
        body = client.get(f"/api/analytics/quiz/{quiz.id}", headers=headers).get_json()
    assert body["total_attempts"] == 10
    assert after.count == before.count <= 16  # a query per section, time usage and review included


def test_quiz_analytics_visibility(client, known_quiz):
    quiz_id = known_quiz["quiz"].id
    assert get_report(client, make_admin(), quiz_id)["total_attempts"] == 4
    assert_error(client.get(f"/api/analytics/quiz/{quiz_id}", headers=auth(make_teacher())), 404)
    assert_error(client.get(f"/api/analytics/quiz/{quiz_id}", headers=auth(known_quiz["students"][0])), 403)
    assert_error(client.get(f"/api/analytics/quiz/{quiz_id}"), 401)


@pytest.mark.parametrize("path", ["/api/analytics/quiz/{id}", "/api/analytics/quiz/{id}/export"])
def test_unknown_quiz_is_not_found(client, path):
    assert_error(client.get(path.format(id="0" * 36), headers=auth(make_admin())), 404)
