"""Regrading a question whose key was wrong, with and without a dry run."""
from types import SimpleNamespace

from sqlalchemy import func, select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.common.audit import AuditLog
from app.extensions import db
from app.notifications.models import Notification
from app.questions.models import Question
from tests.factories import auth, make_class, make_question, make_quiz, make_student, make_teacher
from tests.helpers import assert_error


def take(client, quiz, student, answers: dict):
    """Start, answer ({question: fields}) and submit, as the student would."""
    attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=auth(student)).get_json()["attempt_id"]
    for question, fields in answers.items():
        saved = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(student),
                            json={"question_id": question.id, **fields})
        assert saved.status_code == 200, saved.get_json()
    assert client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(student), json={}).status_code == 200
    return attempt_id


def exam(client):
    """An mcq whose key says B (index 1) while C (index 2) is right; three students answered."""
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    mcq = make_question(teacher, marks=2, options=["A", "B", "C"], correct_answer=1)
    essay = make_question(teacher, type="descriptive", marks=3)
    ms = make_question(teacher, type="multiple_select", marks=4)
    quiz = make_quiz(teacher, questions=[mcq, essay, ms], classes=[cls])
    students = [make_student(cls) for _ in range(3)]
    attempts = [
        take(client, quiz, students[0], {mcq: {"answer_option": 2}, ms: {"response": [1, 3]}}),
        take(client, quiz, students[1], {mcq: {"answer_option": 1}}),
        take(client, quiz, students[2], {mcq: {"answer_option": 0}, essay: {"answer_text": "Tides"}}),
    ]
    return SimpleNamespace(teacher=teacher, mcq=mcq, essay=essay, ms=ms, quiz=quiz, students=students,
                           attempts=attempts)


def put(client, world, body, question=None, query=""):
    question = question or world.mcq
    return client.put(f"/api/questions/{question.id}{query}", json=body, headers=auth(world.teacher))


def state():
    """Every attempt's score and every answer's marks, and the row counts of what a regrade may write."""
    db.session.expire_all()
    return (
        sorted((a.id, a.score, a.score_before_regrade, a.regraded_at, a.percentage, a.passed)
               for a in db.session.scalars(select(QuizAttempt))),
        sorted((a.id, a.marks_awarded, a.is_correct) for a in db.session.scalars(select(StudentAnswer))),
        db.session.get(Question, db.session.scalars(select(Question.id)).first()).correct_answer,
        db.session.scalar(select(func.count()).select_from(Notification)),
        db.session.scalar(select(func.count()).select_from(AuditLog)),
    )


def test_a_key_change_without_regrade_stays_409(client):
    world = exam(client)
    assert_error(put(client, world, {"correct_answer": 2}), 409, "QUESTION_HAS_ANSWERS")


def test_dry_run_reports_the_changes_and_changes_nothing(client):
    world = exam(client)
    before = state()
    response = put(client, world, {"correct_answer": 2, "regrade": True}, query="?dry_run=true")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()["regrade"]
    assert report["dry_run"] is True and report["attempts_affected"] == 2
    assert {(c["attempt_id"], c["score_before"], c["score_after"]) for c in report["changes"]} == {
        (world.attempts[0], 4.0, 6.0), (world.attempts[1], 2.0, 0.0)}
    assert response.get_json()["correct_answer"] == 1
    assert state() == before


def test_apply_regrades_only_the_affected_attempts_and_tells_their_students(client):
    world = exam(client)
    untouched = db.session.get(QuizAttempt, world.attempts[2])
    untouched_state = (untouched.score, untouched.regraded_at)
    response = put(client, world, {"correct_answer": 2, "regrade": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["correct_answer"] == 2 and body["regrade"]["attempts_affected"] == 2
    db.session.expire_all()
    first, second, third = (db.session.get(QuizAttempt, a) for a in world.attempts)
    assert (first.score, first.score_before_regrade) == (6, 4) and first.regraded_at is not None
    assert (second.score, second.score_before_regrade) == (0, 2)
    assert (third.score, third.regraded_at) == untouched_state
    notified = db.session.scalars(select(Notification.user_id).where(Notification.type == "attempt_regraded"))
    assert sorted(notified) == sorted([world.students[0].id, world.students[1].id])


def test_a_second_regrade_keeps_the_score_before_the_first(client):
    world = exam(client)
    put(client, world, {"correct_answer": 2, "regrade": True})
    put(client, world, {"correct_answer": 0, "regrade": True})
    db.session.expire_all()
    first = db.session.get(QuizAttempt, world.attempts[0])
    assert (first.score, first.score_before_regrade) == (4, 4)


def test_manual_marks_are_never_overwritten(client):
    world = exam(client)
    graded = client.post(f"/api/grading/attempts/{world.attempts[1]}/grade", headers=auth(world.teacher), json={
        "grades": [{"question_id": world.mcq.id, "marks_awarded": 1.5}]})
    assert graded.status_code == 200, graded.get_json()
    report = put(client, world, {"correct_answer": 2, "regrade": True}).get_json()["regrade"]
    assert world.attempts[1] not in {c["attempt_id"] for c in report["changes"]}
    answer = db.session.scalar(select(StudentAnswer).where(StudentAnswer.attempt_id == world.attempts[1],
                                                          StudentAnswer.question_id == world.mcq.id))
    assert answer.marks_awarded == 1.5


def test_regrade_of_a_later_type_uses_its_scoring(client):
    world = exam(client)
    response = put(client, world, {"correct_options": [1], "scoring": "all_or_nothing", "regrade": True},
                   question=world.ms)
    assert response.status_code == 200, response.get_json()
    changes = response.get_json()["regrade"]["changes"]
    assert [(c["score_before"], c["score_after"]) for c in changes] == [(4.0, 0.0)]


def test_regrade_refuses_to_change_what_students_saw(client):
    world = exam(client)
    before = state()
    refused = put(client, world, {"options": ["A", "B", "D"], "text": "Other?", "regrade": True})
    assert {"options", "text"} <= set(assert_error(refused, 422)["details"])
    bad_key = put(client, world, {"correct_answer": 7, "regrade": True})
    assert "correct_answer" in assert_error(bad_key, 422)["details"]
    assert state() == before


def test_another_teacher_cannot_regrade(client):
    world = exam(client)
    stranger = make_teacher()
    response = client.put(f"/api/questions/{world.mcq.id}", json={"correct_answer": 2, "regrade": True},
                          headers=auth(stranger))
    assert_error(response, 404)
