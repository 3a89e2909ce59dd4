import pytest
from sqlalchemy import select

from app.common.audit import AuditLog
from app.extensions import db
from app.questions.models import Question
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


def texts(body):
    return [option["text"] for option in body["options"]] if body["options"] is not None else None

def mcq(**kw):
    return {"text": "Capital of France?", "type": "mcq", "topic": "Geography", "difficulty": "easy",
            "marks": 2, "options": ["London", "Berlin", "Paris", "Madrid"], "correct_answer": 2, **kw}


def post(client, user, body):
    return client.post("/api/questions", json=body, headers=auth(user))


def test_teacher_creates_mcq_with_its_answer_key(client):
    teacher = make_teacher()
    response = post(client, teacher, mcq())
    assert response.status_code == 201
    body = response.get_json()
    assert body["options"] == [{"index": i, "text": t} for i, t in enumerate(["London", "Berlin", "Paris", "Madrid"])]
    assert body["correct_answer"] == 2
    assert body["created_by"] == teacher.id
    assert body["is_auto_gradable"] is True
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "question_created")) is not None


@pytest.mark.parametrize("changes, field", [
    ({"options": ["Only one"], "correct_answer": 0}, "options"),
    ({"options": [f"o{i}" for i in range(11)], "correct_answer": 0}, "options"),
    ({"options": ["A", " "], "correct_answer": 0}, "options"),
    ({"options": ["A", "a"], "correct_answer": 0}, "options"),
    ({"correct_answer": 4}, "correct_answer"),
    ({"correct_answer": -1}, "correct_answer"),
    ({"correct_answer": True}, "correct_answer"),
    ({"correct_answer": None}, "correct_answer"),
    ({"options": None}, "options"),
    ({"marks": 0}, "marks"),
    ({"marks": 2.5}, "marks"),
    ({"marks": "2"}, "marks"),
    ({"difficulty": "extreme"}, "difficulty"),
    ({"text": "   "}, "text"),
    ({"sample_answer": "Paris"}, "sample_answer"),
    ({"accepted_answers": ["Paris"]}, "accepted_answers"),
])
def test_invalid_mcq_is_422_naming_the_field(client, changes, field):
    body = assert_error(post(client, make_teacher(), mcq(**changes)), 422, "VALIDATION_ERROR")
    assert field in body["details"], body


def test_true_false_accepts_a_boolean_and_stores_the_index(client):
    teacher = make_teacher()
    false = post(client, teacher, {"text": "Sky is green", "type": "true_false", "marks": 1,
                                   "correct_answer": False}).get_json()
    true = post(client, teacher, {"text": "Sky is blue", "type": "true_false", "marks": 1,
                                  "options": ["True", "False"], "correct_answer": 0}).get_json()
    assert (texts(false), false["correct_answer"]) == (["True", "False"], 1)
    assert (texts(true), true["correct_answer"]) == (["True", "False"], 0)


@pytest.mark.parametrize("changes, field", [
    ({"correct_answer": 2}, "correct_answer"),
    ({"correct_answer": "yes"}, "correct_answer"),
    ({}, "correct_answer"),
    ({"correct_answer": True, "options": ["Yes", "No"]}, "options"),
])
def test_invalid_true_false_is_422(client, changes, field):
    body = {"text": "Is it?", "type": "true_false", "marks": 1, **changes}
    assert field in assert_error(post(client, make_teacher(), body), 422)["details"]


def test_short_answer_is_auto_gradable_only_with_accepted_answers(client):
    teacher = make_teacher()
    graded = post(client, teacher, {"text": "Plants make food by?", "type": "short_answer", "marks": 2,
                                    "accepted_answers": [" Photosynthesis ", "photosynthesis"]}).get_json()
    manual = post(client, teacher, {"text": "Name a poem", "type": "short_answer", "marks": 2}).get_json()
    assert graded["accepted_answers"] == ["Photosynthesis"]
    assert graded["is_auto_gradable"] is True
    assert manual["is_auto_gradable"] is False


def test_descriptive_keeps_sample_and_rubric_and_refuses_options(client):
    teacher = make_teacher()
    body = {"text": "Explain gravity", "type": "descriptive", "marks": 5,
            "sample_answer": "Mass attracts mass.", "marking_rubric": "2 + 3"}
    created = post(client, teacher, body).get_json()
    assert (created["sample_answer"], created["marking_rubric"]) == ("Mass attracts mass.", "2 + 3")
    assert created["is_auto_gradable"] is False
    refused = post(client, teacher, {**body, "options": ["a", "b"], "correct_answer": 0})
    assert {"options", "correct_answer"} <= set(assert_error(refused, 422)["details"])


def test_unknown_field_is_422(client):
    assert "explanation" in assert_error(post(client, make_teacher(), mcq(explanation="x")), 422)["details"]


def test_students_are_forbidden_from_the_question_bank(client):
    student = make_student(make_class())
    teacher = make_teacher()
    question = make_question(teacher)
    assert_error(client.get("/api/questions", headers=auth(student)), 403)
    assert_error(client.get(f"/api/questions/{question.id}", headers=auth(student)), 403)
    assert_error(post(client, student, mcq()), 403)


def test_another_teachers_question_is_not_found(client):
    owner, other = make_teacher(), make_teacher()
    question = make_question(owner)
    headers = auth(other)
    assert_error(client.get(f"/api/questions/{question.id}", headers=headers), 404)
    assert_error(client.put(f"/api/questions/{question.id}", json={"marks": 3}, headers=headers), 404)
    assert_error(client.delete(f"/api/questions/{question.id}", headers=headers), 404)
    assert_error(client.post(f"/api/questions/{question.id}/archive", headers=headers), 404)
    assert db.session.get(Question, question.id).marks == 2


def test_admin_reads_and_edits_any_question(client):
    question = make_question(make_teacher())
    headers = auth(make_admin())
    assert client.get(f"/api/questions/{question.id}", headers=headers).status_code == 200
    response = client.put(f"/api/questions/{question.id}", json={"marks": 4}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["marks"] == 4


def test_partial_update_keeps_the_answer_key(client):
    teacher = make_teacher()
    question = make_question(teacher, options=["A", "B", "C"], correct_answer=2)
    response = client.put(f"/api/questions/{question.id}", json={"text": "New text", "marks": 3},
                          headers=auth(teacher))
    body = response.get_json()
    assert (body["text"], body["marks"], texts(body), body["correct_answer"]) == ("New text", 3, ["A", "B", "C"], 2)


def test_update_that_breaks_the_type_rules_is_422(client):
    teacher = make_teacher()
    question = make_question(teacher, options=["A", "B", "C"], correct_answer=2)
    response = client.put(f"/api/questions/{question.id}", json={"options": ["A", "B"]}, headers=auth(teacher))
    assert "correct_answer" in assert_error(response, 422)["details"]
    assert db.session.get(Question, question.id).options == ["A", "B", "C"]


def test_changing_type_drops_the_old_answer_key(client):
    teacher = make_teacher()
    question = make_question(teacher)
    response = client.put(f"/api/questions/{question.id}", json={"type": "descriptive", "sample_answer": "S"},
                          headers=auth(teacher))
    body = response.get_json()
    assert (body["type"], texts(body), body["correct_answer"], body["sample_answer"]) == (
        "descriptive", None, None, "S")


def _answered_question():
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    question = make_question(teacher)
    quiz = make_quiz(teacher, questions=[question], classes=[school_class])
    attempt = make_attempt(quiz, make_student(school_class), status="submitted")
    make_answer(attempt, question, option=1)
    return teacher, question


def test_question_with_student_answers_cannot_change_or_be_deleted(client):
    teacher, question = _answered_question()
    headers = auth(teacher)
    body = assert_error(client.put(f"/api/questions/{question.id}", json={"marks": 9}, headers=headers),
                        409, "QUESTION_HAS_ANSWERS")
    assert body["details"]["actions"] == ["archive", "duplicate"]
    assert_error(client.delete(f"/api/questions/{question.id}", headers=headers), 409, "QUESTION_HAS_ANSWERS")
    assert db.session.get(Question, question.id).marks == 2


def test_question_of_a_quiz_being_attempted_is_frozen_before_any_answer(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    question = make_question(teacher)
    quiz = make_quiz(teacher, questions=[question], classes=[school_class])
    make_attempt(quiz, make_student(school_class))
    response = client.put(f"/api/questions/{question.id}", json={"correct_answer": 0}, headers=auth(teacher))
    assert_error(response, 409, "QUESTION_HAS_ANSWERS")


def test_answered_question_can_be_archived_and_duplicated_for_editing(client):
    teacher, question = _answered_question()
    headers = auth(teacher)
    archived = client.post(f"/api/questions/{question.id}/archive", headers=headers)
    assert archived.status_code == 200 and archived.get_json()["is_archived"] is True
    copy = client.post(f"/api/questions/{question.id}/duplicate", headers=headers)
    assert copy.status_code == 201
    copy_body = copy.get_json()
    assert copy_body["id"] != question.id
    assert (texts(copy_body), copy_body["correct_answer"], copy_body["is_archived"]) == (
        question.options, question.correct_answer, False)
    edited = client.put(f"/api/questions/{copy_body['id']}", json={"marks": 5}, headers=headers)
    assert edited.status_code == 200


def test_question_used_in_a_quiz_cannot_be_deleted(client):
    teacher = make_teacher()
    question = make_question(teacher)
    quiz = make_quiz(teacher, questions=[question], status="draft")
    body = assert_error(client.delete(f"/api/questions/{question.id}", headers=auth(teacher)), 409, "QUESTION_IN_USE")
    assert body["details"]["quiz_ids"] == [quiz.id]


def test_unused_question_is_deleted(client):
    teacher = make_teacher()
    question = make_question(teacher)
    response = client.delete(f"/api/questions/{question.id}", headers=auth(teacher))
    assert response.status_code == 200
    assert response.get_json() == {"message": "Question deleted"}
    db.session.expire_all()
    assert db.session.get(Question, question.id) is None


def test_archived_question_can_be_restored(client):
    teacher = make_teacher()
    question = make_question(teacher, is_archived=True)
    response = client.post(f"/api/questions/{question.id}/restore", headers=auth(teacher))
    assert response.get_json()["is_archived"] is False
