import json
from datetime import timedelta
from decimal import Decimal

from app.common.clock import utcnow
from app.questions.models import ANSWER_KEY_FIELDS
from tests.factories import (
    auth,
    make_admin,
    make_attempt,
    make_class,
    make_question,
    make_quiz,
    make_student,
    make_teacher,
)
from tests.helpers import assert_error, walk_keys

PLANTED = ("PLANTED-ACCEPTED", "PLANTED-SAMPLE", "PLANTED-RUBRIC")


def ids(response):
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_teacher_lists_their_quizzes_and_admin_lists_all(client):
    mine, theirs = make_teacher(), make_teacher()
    own = make_quiz(mine, status="draft")
    other = make_quiz(theirs)
    assert ids(client.get("/api/quizzes", headers=auth(mine))) == [own.id]
    admin = auth(make_admin())
    assert set(ids(client.get("/api/quizzes", headers=admin))) == {own.id, other.id}
    assert ids(client.get(f"/api/quizzes?teacher_id={theirs.id}", headers=admin)) == [other.id]


def test_staff_filters_status_class_and_search(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    draft = make_quiz(teacher, status="draft", title="Algebra draft")
    published = make_quiz(teacher, classes=[school_class], title="Geometry final")
    headers = auth(teacher)
    assert ids(client.get("/api/quizzes?status=draft", headers=headers)) == [draft.id]
    assert ids(client.get(f"/api/quizzes?class_id={school_class.id}", headers=headers)) == [published.id]
    assert ids(client.get("/api/quizzes?search=geometry", headers=headers)) == [published.id]
    assert ids(client.get(f"/api/quizzes?search={draft.access_code.lower()}", headers=headers)) == [draft.id]


def test_student_sees_only_published_quizzes_of_their_class(client):
    mine, elsewhere = make_class(), make_class()
    teacher = make_teacher(classes=[mine, elsewhere])
    student = make_student(mine)
    visible = make_quiz(teacher, classes=[mine, elsewhere])
    make_quiz(teacher, classes=[mine], status="draft")
    make_quiz(teacher, classes=[mine], status="archived")
    make_quiz(teacher, classes=[elsewhere])
    assert ids(client.get("/api/quizzes", headers=auth(student))) == [visible.id]
    assert ids(client.get("/api/quizzes", headers=auth(make_student(None)))) == []


def test_student_outside_the_class_or_before_publishing_gets_404(client):
    mine, elsewhere = make_class(), make_class()
    teacher = make_teacher(classes=[mine, elsewhere])
    student = make_student(mine)
    other_class_quiz = make_quiz(teacher, classes=[elsewhere])
    draft = make_quiz(teacher, classes=[mine], status="draft")
    headers = auth(student)
    for quiz in (other_class_quiz, draft):
        assert_error(client.get(f"/api/quizzes/{quiz.id}", headers=headers), 404)
        assert_error(client.get(f"/api/quizzes/access/{quiz.access_code}", headers=headers), 404)
    assert_error(client.get("/api/quizzes/access/NOSUCHCODE", headers=headers), 404)


def test_access_code_is_case_insensitive_for_the_class(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    quiz = make_quiz(teacher, classes=[school_class], access_code="ALG10A")
    response = client.get("/api/quizzes/access/alg10a", headers=auth(make_student(school_class)))
    assert response.status_code == 200
    assert response.get_json()["id"] == quiz.id


def test_student_sees_attempts_used_remaining_and_best_score_with_reset_grants(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    quiz = make_quiz(teacher, classes=[school_class], questions=[make_question(teacher)], max_attempts=2)
    now = utcnow()
    # Two attempts reset by the teacher, first granting 1, later 3 more; then one new attempt.
    make_attempt(quiz, student, status="graded", attempt_number=1, score=Decimal("9"), percentage=Decimal("90"),
                 is_reset=True, reset_at=now - timedelta(hours=2), additional_attempts_granted=1)
    make_attempt(quiz, student, status="graded", attempt_number=2, score=Decimal("5"), percentage=Decimal("50"),
                 is_reset=True, reset_at=now - timedelta(hours=1), additional_attempts_granted=3)
    make_attempt(quiz, student, status="graded", attempt_number=3, score=Decimal("4"), percentage=Decimal("40"))
    make_attempt(quiz, make_student(school_class), status="graded", score=Decimal("10"))
    item = client.get("/api/quizzes", headers=auth(student)).get_json()["items"][0]
    assert (item["attempts_used"], item["attempts_remaining"]) == (1, 2 + 3 - 1)
    assert (item["best_score"], item["best_percentage"]) == (4.0, 40.0)
    assert item["is_open"] is True
    detail = client.get(f"/api/quizzes/{quiz.id}", headers=auth(student)).get_json()
    assert (detail["attempts_used"], detail["attempts_remaining"], detail["best_score"]) == (1, 4, 4.0)


def test_in_progress_attempt_counts_and_is_pointed_to(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    quiz = make_quiz(teacher, classes=[school_class], questions=[make_question(teacher)])
    attempt = make_attempt(quiz, student)
    item = client.get("/api/quizzes", headers=auth(student)).get_json()["items"][0]
    assert (item["attempts_used"], item["attempts_remaining"], item["in_progress_attempt_id"]) == (1, 0, attempt.id)
    assert item["best_score"] is None


def test_teacher_detail_has_questions_with_answers(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    question = make_question(teacher, type="short_answer", accepted_answers=["PLANTED-ACCEPTED"])
    quiz = make_quiz(teacher, questions=[question], classes=[school_class])
    body = client.get(f"/api/quizzes/{quiz.id}", headers=auth(teacher)).get_json()
    assert body["questions"][0]["accepted_answers"] == ["PLANTED-ACCEPTED"]
    assert (body["question_count"], body["total_marks"]) == (1, 2)
    assert body["classes"][0]["id"] == school_class.id


def test_no_answer_key_reaches_a_student_from_any_quiz_endpoint(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    questions = [
        make_question(teacher, type="mcq", options=["Alpha", "Beta"], correct_answer=1),
        make_question(teacher, type="true_false"),
        make_question(teacher, type="short_answer", accepted_answers=[PLANTED[0]], sample_answer=PLANTED[1]),
        make_question(teacher, type="descriptive", sample_answer=PLANTED[1], marking_rubric=PLANTED[2]),
    ]
    quiz = make_quiz(teacher, questions=questions, classes=[school_class], access_code="SAFE2030")
    make_attempt(quiz, student, status="graded", score=Decimal("3"))
    headers = auth(student)
    responses = [
        client.get("/api/quizzes", headers=headers),
        client.get(f"/api/quizzes?search={quiz.title}", headers=headers),
        client.get(f"/api/quizzes/{quiz.id}", headers=headers),
        client.get("/api/quizzes/access/SAFE2030", headers=headers),
        client.get("/api/quizzes/access/safe2030", headers=headers),
    ]
    for response in responses:
        assert response.status_code == 200
        body = response.get_json()
        assert body.get("items", [body]), "the student must see the quiz"
        assert not set(walk_keys(body)) & set(ANSWER_KEY_FIELDS), body
        text = json.dumps(body)
        assert not [planted for planted in PLANTED if planted in text], text


def test_quiz_lists_cost_the_same_queries_for_1_or_20_rows(client, count_queries):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    questions = [make_question(teacher) for _ in range(3)]
    for n in range(22):
        quiz = make_quiz(teacher, questions=questions[: 1 + n % 3], classes=[school_class])
        make_attempt(quiz, student, status="graded", score=Decimal(n))
    for user in (teacher, make_admin(), student):
        headers = auth(user)
        counts = {}
        for limit in (1, 20):
            with count_queries() as counted:
                response = client.get(f"/api/quizzes?limit={limit}", headers=headers)
            assert len(response.get_json()["items"]) == limit
            counts[limit] = counted.count
        assert counts[1] == counts[20], (user.role, counts)
