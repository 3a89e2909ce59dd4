from decimal import Decimal

from sqlalchemy import select

from app.attempts.models import QuizAttempt
from app.common import events
from app.common.audit import AuditLog
from app.extensions import db
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


def submitted_quiz(**quiz_kw):
    """A quiz (mcq 2 marks + descriptive 5 marks) and one submitted attempt awaiting marks."""
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    mcq = make_question(teacher, type="mcq", marks=2)
    essay = make_question(teacher, type="descriptive", marks=5)
    quiz = make_quiz(teacher, questions=[mcq, essay], classes=[cls], **quiz_kw)
    student = make_student(cls, name="Zoë Núñez")
    attempt = make_attempt(quiz, student, status="submitted", score=Decimal(2), total_marks=7,
                           percentage=Decimal("28.57"), passed=False)
    make_answer(attempt, mcq, option=1, marks_awarded=Decimal(2), is_correct=True)
    essay_answer = make_answer(attempt, essay, text="Plants make food from light.")
    return dict(cls=cls, teacher=teacher, mcq=mcq, essay=essay, quiz=quiz, student=student,
                attempt=attempt, essay_answer=essay_answer)


def grade(client, user, attempt_id, grades):
    return client.post(f"/api/grading/attempts/{attempt_id}/grade", json={"grades": grades},
                       headers=auth(user))


def test_pending_lists_attempt_with_counts_and_pending_marks(client):
    s = submitted_quiz()
    response = client.get("/api/grading/pending", headers=auth(s["teacher"]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["attempt_id"] == s["attempt"].id
    assert item["student"]["name"] == "Zoë Núñez"
    assert item["quiz"]["id"] == s["quiz"].id
    assert item["descriptive_questions_count"] == 1
    assert item["auto_graded_score"] == 2
    assert item["pending_marks"] == 5


def test_pending_filters_by_quiz_and_class(client):
    s = submitted_quiz()
    other_class = make_class()
    headers = auth(s["teacher"])
    assert client.get(f"/api/grading/pending?quiz_id={s['quiz'].id}", headers=headers).get_json()["total"] == 1
    assert client.get(f"/api/grading/pending?class_id={s['cls'].id}", headers=headers).get_json()["total"] == 1
    assert client.get(f"/api/grading/pending?class_id={other_class.id}",
                      headers=headers).get_json()["total"] == 0


def test_pending_excludes_in_progress_reset_and_fully_graded_attempts(client):
    s = submitted_quiz()
    other = make_student(s["cls"])
    running = make_attempt(s["quiz"], other)
    make_answer(running, s["essay"], text="draft")
    third = make_student(s["cls"])
    reset = make_attempt(s["quiz"], third, status="submitted", is_reset=True)
    make_answer(reset, s["essay"], text="old")
    body = client.get("/api/grading/pending", headers=auth(s["teacher"])).get_json()
    assert [i["attempt_id"] for i in body["items"]] == [s["attempt"].id]


def test_pending_hides_other_teachers_attempts_and_refuses_students(client):
    s = submitted_quiz()
    stranger = make_teacher()
    assert client.get("/api/grading/pending", headers=auth(stranger)).get_json()["total"] == 0
    assert client.get("/api/grading/pending", headers=auth(make_admin())).get_json()["total"] == 1
    assert_error(client.get("/api/grading/pending", headers=auth(s["student"])), 403)
    assert_error(client.get("/api/grading/pending"), 401)


def test_pending_page_uses_constant_queries(client, count_queries):
    s = submitted_quiz()
    headers = auth(s["teacher"])
    with count_queries() as few:
        client.get("/api/grading/pending", headers=headers)
    for _ in range(4):
        attempt = make_attempt(s["quiz"], make_student(s["cls"]), status="submitted")
        make_answer(attempt, s["essay"], text="more")
    with count_queries() as many:
        body = client.get("/api/grading/pending", headers=headers).get_json()
    assert body["total"] == 5
    assert many.count == few.count


def test_grading_view_shows_answer_key_and_current_marks(client):
    s = submitted_quiz()
    response = client.get(f"/api/grading/attempts/{s['attempt'].id}", headers=auth(s["teacher"]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["pending_count"] == 1
    assert body["student"]["id"] == s["student"].id
    mcq, essay = body["answers"]
    assert mcq["question"]["correct_answer"] == 1
    assert mcq["current_marks"] == 2 and mcq["needs_grading"] is False
    assert essay["question"]["sample_answer"] == "A model answer."
    assert essay["question"]["marking_rubric"] == "Two points."
    assert essay["question"]["marks"] == 5
    assert essay["student_answer"] == "Plants make food from light."
    assert essay["current_marks"] is None and essay["needs_grading"] is True


def test_grading_view_of_other_teachers_attempt_is_not_found(client):
    s = submitted_quiz()
    assert_error(client.get(f"/api/grading/attempts/{s['attempt'].id}", headers=auth(make_teacher())), 404)
    assert_error(client.get(f"/api/grading/attempts/{s['attempt'].id}", headers=auth(s["student"])), 403)


def test_grading_completes_attempt_recomputes_score_audits_and_publishes(client):
    s = submitted_quiz()
    received = []

    def listener(sender, **payload):
        received.append(payload)

    events.attempt_graded.connect(listener)
    try:
        response = grade(client, s["teacher"], s["attempt"].id,
                         [{"question_id": s["essay"].id, "marks_awarded": 4, "feedback": "Good"}])
    finally:
        events.attempt_graded.disconnect(listener)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "graded"
    assert body["final_score"] == 6 and body["total_marks"] == 7
    assert body["percentage"] == 85.71 and body["passed"] is True
    attempt = db.session.get(QuizAttempt, s["attempt"].id)
    assert attempt.status == "graded" and attempt.score == Decimal("6.00")
    db.session.refresh(s["essay_answer"])
    assert s["essay_answer"].graded_by == s["teacher"].id and s["essay_answer"].graded_at is not None
    assert s["essay_answer"].feedback == "Good"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "attempt_graded"))
    assert audit.entity_id == attempt.id
    assert audit.old_value["answers"][s["essay"].id]["marks_awarded"] is None
    assert audit.new_value["answers"][s["essay"].id]["marks_awarded"] == 4
    assert received == [{
        "attempt_id": attempt.id, "quiz_id": s["quiz"].id, "student_id": s["student"].id,
        "grader_id": s["teacher"].id, "score": 6.0, "total_marks": 7, "percentage": 85.71,
        "fully_graded": True,
    }]


def test_grading_moves_attempt_from_pending_to_graded_list(client):
    s = submitted_quiz()
    headers = auth(s["teacher"])
    grade(client, s["teacher"], s["attempt"].id, [{"answer_id": s["essay_answer"].id, "marks_awarded": 5}])
    assert client.get("/api/grading/pending", headers=headers).get_json()["total"] == 0
    graded = client.get("/api/grading/graded", headers=headers).get_json()
    assert [i["attempt_id"] for i in graded["items"]] == [s["attempt"].id]
    assert graded["items"][0]["manually_graded_score"] == 5
    assert graded["items"][0]["last_graded_at"].endswith("Z")


def test_partial_grading_leaves_attempt_submitted(client):
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    q1, q2 = make_question(teacher, type="descriptive", marks=5), make_question(teacher, type="descriptive", marks=5)
    quiz = make_quiz(teacher, questions=[q1, q2], classes=[cls])
    attempt = make_attempt(quiz, make_student(cls), status="submitted")
    make_answer(attempt, q1, text="one")
    make_answer(attempt, q2, text="two")
    body = grade(client, teacher, attempt.id, [{"question_id": q1.id, "marks_awarded": 3}]).get_json()
    assert body["status"] == "submitted" and body["pending_count"] == 1
    assert body["final_score"] == 3 and body["percentage"] == 30
    assert client.get("/api/grading/pending", headers=auth(teacher)).get_json()["items"][0][
        "pending_marks"] == 5


def test_regrading_is_allowed_and_audited_with_old_and_new(client):
    s = submitted_quiz()
    grade(client, s["teacher"], s["attempt"].id, [{"question_id": s["essay"].id, "marks_awarded": 4}])
    body = grade(client, s["teacher"], s["attempt"].id,
                 [{"question_id": s["essay"].id, "marks_awarded": 1.5, "feedback": "On reflection"}]).get_json()
    assert body["final_score"] == 3.5 and body["passed"] is True
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "attempt_graded")
                                .order_by(AuditLog.created_at, AuditLog.id)).all()
    assert len(audits) == 2
    regrade = [a for a in audits if a.old_value["answers"][s["essay"].id]["marks_awarded"] == 4]
    assert regrade and regrade[0].new_value["answers"][s["essay"].id] == {
        "marks_awarded": 1.5, "feedback": "On reflection"}


def test_teacher_can_override_objective_auto_grade(client):
    s = submitted_quiz()
    body = grade(client, s["teacher"], s["attempt"].id, [
        {"question_id": s["mcq"].id, "marks_awarded": 0, "feedback": "Copied"},
        {"question_id": s["essay"].id, "marks_awarded": 5},
    ]).get_json()
    assert body["final_score"] == 5
    answers = client.get(f"/api/grading/attempts/{s['attempt'].id}", headers=auth(s["teacher"])).get_json()
    assert answers["answers"][0]["is_correct"] is False
    assert answers["answers"][0]["graded_by"] == s["teacher"].id


def test_marks_above_question_marks_are_refused(client):
    s = submitted_quiz()
    body = assert_error(grade(client, s["teacher"], s["attempt"].id,
                              [{"question_id": s["essay"].id, "marks_awarded": 6}]), 422)
    assert body["details"]["grades"]["0"]["marks_awarded"] == ["Must be between 0 and 5."]
    assert_error(grade(client, s["teacher"], s["attempt"].id,
                       [{"question_id": s["essay"].id, "marks_awarded": -1}]), 422)
    db.session.refresh(s["essay_answer"])
    assert s["essay_answer"].marks_awarded is None


def test_marks_respect_quiz_marks_override(client):
    s = submitted_quiz()
    s["quiz"].question_links[1].marks_override = 10
    db.session.commit()
    body = grade(client, s["teacher"], s["attempt"].id, [{"question_id": s["essay"].id, "marks_awarded": 8}])
    assert body.status_code == 200
    assert body.get_json()["total_marks"] == 12


def test_grading_unknown_question_or_duplicate_is_422(client):
    s = submitted_quiz()
    foreign = make_question(s["teacher"], type="descriptive")
    body = assert_error(grade(client, s["teacher"], s["attempt"].id, [
        {"question_id": foreign.id, "marks_awarded": 1},
    ]), 422)
    assert "question_id" in body["details"]["grades"]["0"]
    assert_error(grade(client, s["teacher"], s["attempt"].id, [
        {"question_id": s["essay"].id, "marks_awarded": 1},
        {"answer_id": s["essay_answer"].id, "marks_awarded": 2},
    ]), 422)
    assert_error(grade(client, s["teacher"], s["attempt"].id, [{"marks_awarded": 2}]), 422)
    assert_error(grade(client, s["teacher"], s["attempt"].id, []), 422)


def test_grading_in_progress_attempt_is_conflict(client):
    s = submitted_quiz()
    running = make_attempt(s["quiz"], make_student(s["cls"]))
    assert_error(grade(client, s["teacher"], running.id, [{"question_id": s["essay"].id, "marks_awarded": 1}]),
                 409, "ATTEMPT_IN_PROGRESS")
    assert_error(client.get(f"/api/grading/attempts/{running.id}", headers=auth(s["teacher"])), 409)


def test_grading_is_refused_to_other_teacher_and_student(client):
    s = submitted_quiz()
    grades = [{"question_id": s["essay"].id, "marks_awarded": 1}]
    assert_error(grade(client, make_teacher(), s["attempt"].id, grades), 404)
    assert_error(grade(client, s["student"], s["attempt"].id, grades), 403)
    assert grade(client, make_admin(), s["attempt"].id, grades).status_code == 200


def test_unanswered_question_can_be_marked(client):
    s = submitted_quiz()
    extra = make_question(s["teacher"], type="descriptive", marks=3)
    from app.quizzes.models import QuizQuestion
    db.session.add(QuizQuestion(quiz_id=s["quiz"].id, question_id=extra.id, order_index=2))
    db.session.commit()
    body = grade(client, s["teacher"], s["attempt"].id, [
        {"question_id": extra.id, "marks_awarded": 0, "feedback": "No answer given"},
        {"question_id": s["essay"].id, "marks_awarded": 5},
    ]).get_json()
    assert body["status"] == "graded" and body["total_marks"] == 10 and body["final_score"] == 7


def test_grading_answers_use_the_result_names_and_keep_the_old_ones_one_release(client):
    s = submitted_quiz()
    headers = auth(s["teacher"])
    essay_id = client.get(f"/api/grading/attempts/{s['attempt'].id}", headers=headers).get_json()["answers"][1][
        "question"]["id"]
    client.post(f"/api/grading/attempts/{s['attempt'].id}/grade", headers=headers,
                json={"grades": [{"question_id": essay_id, "marks_awarded": 3, "feedback": "Clear"}]})
    essay = client.get(f"/api/grading/attempts/{s['attempt'].id}", headers=headers).get_json()["answers"][1]
    assert (essay["marks_awarded"], essay["feedback"]) == (3, "Clear")
    assert (essay["current_marks"], essay["current_feedback"], essay["student_answer"]) == (
        essay["marks_awarded"], essay["feedback"], essay["answer_text"])
