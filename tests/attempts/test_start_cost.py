"""What a start costs the database: a fixed number of statements, whatever the quiz's size.

A new attempt: start's one read (the token, the quiz under the visibility rule and its
questions version, the student's effective settings and their attempts at the quiz:
app.attempts.start_read) and the INSERT. The question rows are read once
per version, by the first start (app.quizzes.shown).
"""
import pytest

from app.common.db import commit
from app.extensions import db
from app.quizzes import shown
from app.quizzes.models import QuizOverride
from app.students.models import StudentAccommodation
from tests.factories import auth, make_question, make_quiz, make_student

NEW_ATTEMPT = 2
# The one read, the attempt row, its questions and its saved answers (a resume shows
# them: it is not the bell's path).
RESUME = 4


def _quiz_of(school, size: int):
    types = ("mcq", "true_false", "short_answer", "descriptive")
    questions = [make_question(school.teacher_a, type=types[i % len(types)]) for i in range(size)]
    return make_quiz(school.teacher_a, questions=questions, classes=[school.class_a])


def _start_counted(client, count_queries, quiz_id: str, student):
    headers = auth(student)
    with count_queries() as counted:
        response = client.post(f"/api/quizzes/{quiz_id}/start", headers=headers)
    return response, counted.statements


@pytest.mark.parametrize("size", [2, 30])
def test_a_new_attempt_costs_the_same_statements_whatever_the_number_of_questions(client, school, count_queries,
                                                                                   size):
    quiz_id = _quiz_of(school, size).id
    assert client.post(f"/api/quizzes/{quiz_id}/start", headers=auth(school.student_a)).status_code == 201
    response, statements = _start_counted(client, count_queries, quiz_id, make_student(school.class_a))
    assert response.status_code == 201 and len(response.get_json()["questions"]) == size
    assert len(statements) == NEW_ATTEMPT, statements
    assert [s.split()[0].upper() for s in statements] == ["SELECT"] * (NEW_ATTEMPT - 1) + ["INSERT"]


@pytest.mark.parametrize("size", [2, 30])
def test_the_first_start_of_a_version_reads_the_questions_in_one_more_statement(client, school, count_queries,
                                                                                 size):
    quiz_id = _quiz_of(school, size).id
    shown.forget_local()
    response, statements = _start_counted(client, count_queries, quiz_id, school.student_a)
    assert response.status_code == 201
    assert len(statements) == NEW_ATTEMPT + 1, statements


def test_resuming_costs_a_fixed_number_of_statements_and_writes_nothing(client, school, count_queries):
    quiz_id = _quiz_of(school, 30).id
    assert client.post(f"/api/quizzes/{quiz_id}/start", headers=auth(school.student_a)).status_code == 201
    response, statements = _start_counted(client, count_queries, quiz_id, school.student_a)
    assert response.status_code == 200 and len(response.get_json()["questions"]) == 30
    assert len(statements) == RESUME, "\n\n".join(statements)
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements)


def test_an_override_and_an_accommodation_cost_no_extra_statement(client, school, count_queries):
    quiz_id = _quiz_of(school, 5).id
    other = make_student(school.class_a)
    db.session.add_all([
        QuizOverride(quiz_id=quiz_id, student_id=other.id, time_limit_minutes=50),
        QuizOverride(quiz_id=quiz_id, class_id=school.class_a.id, max_attempts=3),
        StudentAccommodation(student_id=other.id, extra_time_percent=50, extra_time_minutes=5),
    ])
    commit()
    assert client.post(f"/api/quizzes/{quiz_id}/start", headers=auth(school.student_a)).status_code == 201
    response, statements = _start_counted(client, count_queries, quiz_id, other)
    body = response.get_json()
    assert response.status_code == 201 and len(statements) == NEW_ATTEMPT, statements
    assert (body["effective_time_limit_minutes"], body["effective_max_attempts"]) == (80, 3)
