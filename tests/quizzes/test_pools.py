"""Random draws per attempt: pools, their publishing rules, the draws and their marks."""
import pytest
from sqlalchemy import func, select

from app.attempts.models import AttemptQuestion, QuizAttempt
from app.extensions import db
from app.quizzes.models import Quiz
from tests.attempts.test_concurrency import _in_parallel
from tests.factories import auth, make_class, make_question, make_student, make_teacher
from tests.helpers import assert_error

WINDOW = {"start_date": "2020-01-01T00:00:00Z", "end_date": "2099-01-01T00:00:00Z"}


@pytest.fixture
def bank(app):
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    fixed = make_question(teacher, marks=5, topic="Intro")
    algebra = [make_question(teacher, type="numeric", marks=2, topic="Algebra") for _ in range(12)]
    geometry = [make_question(teacher, marks=3, topic="Geometry", difficulty="hard") for _ in range(6)]
    return cls, teacher, fixed, algebra, geometry


def create(client, teacher, cls, pools, **kw):
    body = {"title": "Drawn", "subject": "Maths", "time_limit_minutes": 30, "class_ids": [cls.id],
            "question_ids": kw.pop("question_ids", []), "question_pools": pools, **WINDOW, **kw}
    return client.post("/api/quizzes", json=body, headers=auth(teacher))


def publish(client, teacher, quiz_id):
    return client.put(f"/api/quizzes/{quiz_id}", json={"status": "published"}, headers=auth(teacher))


def drawn_quiz(client, bank):
    cls, teacher, fixed, _algebra, _geometry = bank
    quiz = create(client, teacher, cls, [{"count": 3, "topic": "algebra"},
                                         {"count": 2, "topic": "Geometry", "difficulty": "hard"}],
                  question_ids=[fixed.id]).get_json()
    assert publish(client, teacher, quiz["id"]).status_code == 200
    return quiz


def test_a_quiz_with_pools_states_its_questions_and_marks_per_attempt(client, bank):
    quiz = drawn_quiz(client, bank)
    assert (quiz["question_count"], quiz["total_marks"]) == (6, 5 + 3 * 2 + 2 * 3)
    assert quiz["question_pools"][0] == {"count": 3, "topic": "algebra"}


def test_publishing_refuses_a_pool_that_cannot_supply_its_count(client, bank):
    cls, teacher, *_ = bank
    quiz = create(client, teacher, cls, [{"count": 7, "topic": "Geometry"}]).get_json()
    refused = assert_error(publish(client, teacher, quiz["id"]), 409)
    assert "can supply 6" in refused["details"]["question_pools"][0]


def test_publishing_refuses_a_pool_of_unequal_marks(client, bank):
    cls, teacher, *_ = bank
    quiz = create(client, teacher, cls, [{"count": 2, "type": "mcq"}]).get_json()  # geometry 3 + intro 5
    refused = assert_error(publish(client, teacher, quiz["id"]), 409)
    assert "different marks" in refused["details"]["question_pools"][0]


def test_pools_never_share_a_question_nor_draw_a_fixed_one(client, bank):
    cls, teacher, fixed, algebra, geometry = bank
    quiz = create(client, teacher, cls, [{"count": 6, "type": "mcq", "topic": "Geometry"}, {"count": 1, "type": "mcq"}],
                  question_ids=[fixed.id]).get_json()
    refused = assert_error(publish(client, teacher, quiz["id"]), 409)  # the second pool has nothing left
    assert refused["details"]["question_pools"] == ["Pool 2 needs 1 questions and can supply 0."]


def test_students_draw_their_own_questions_and_a_resume_shows_the_same(client, bank):
    cls, teacher, fixed, algebra, geometry = bank
    quiz = drawn_quiz(client, bank)
    seen = []
    for _ in range(4):
        student = make_student(cls)
        body = client.post(f"/api/quizzes/{quiz['id']}/start", headers=auth(student)).get_json()
        ids = [q["id"] for q in body["questions"]]
        assert fixed.id in ids and len(ids) == len(set(ids)) == 6
        assert len(set(ids) & {q.id for q in algebra}) == 3 and len(set(ids) & {q.id for q in geometry}) == 2
        assert body["quiz"]["total_marks"] == 17
        again = client.post(f"/api/quizzes/{quiz['id']}/start", headers=auth(student)).get_json()
        assert [q["id"] for q in again["questions"]] == ids
        stored = db.session.scalars(select(AttemptQuestion.question_id)
                                    .where(AttemptQuestion.attempt_id == body["attempt_id"]))
        assert set(stored) == set(ids) - {fixed.id}
        seen.append(frozenset(ids))
    assert len(set(seen)) > 1  # C(12,3)·C(6,2) = 3,300 combinations: four equal draws are not luck


def test_drawn_questions_are_marked_at_their_own_marks(client, bank):
    cls, teacher, fixed, algebra, _geometry = bank
    quiz = drawn_quiz(client, bank)
    student = make_student(cls)
    body = client.post(f"/api/quizzes/{quiz['id']}/start", headers=auth(student)).get_json()
    numeric = [q for q in body["questions"] if q["type"] == "numeric"]
    for question in numeric:
        saved = client.post(f"/api/attempts/{body['attempt_id']}/answer", headers=auth(student),
                            json={"question_id": question["id"], "response": 9.81})
        assert saved.status_code == 200, saved.get_json()
    result = client.post(f"/api/attempts/{body['attempt_id']}/submit", headers=auth(student), json={}).get_json()
    assert (result["score"], result["total_marks"]) == (6, 17)


def test_a_drawn_question_is_frozen_and_the_pools_too_once_attempted(client, bank):
    cls, teacher, fixed, algebra, geometry = bank
    quiz = drawn_quiz(client, bank)
    body = client.post(f"/api/quizzes/{quiz['id']}/start", headers=auth(make_student(cls))).get_json()
    drawn = next(q["id"] for q in body["questions"] if q["type"] == "numeric")
    edit = client.put(f"/api/questions/{drawn}", json={"correct_value": 1}, headers=auth(teacher))
    assert_error(edit, 409, "QUESTION_HAS_ANSWERS")
    pools = client.put(f"/api/quizzes/{quiz['id']}", json={"question_pools": []}, headers=auth(teacher))
    assert_error(pools, 409, "QUIZ_HAS_ATTEMPTS")


def test_editing_a_candidate_before_any_attempt_moves_the_quiz_version(client, bank):
    cls, teacher, fixed, algebra, geometry = bank
    quiz = drawn_quiz(client, bank)
    version = db.session.get(Quiz, quiz["id"]).questions_version
    edited = client.put(f"/api/questions/{algebra[0].id}", json={"text": "New?"}, headers=auth(teacher))
    assert edited.status_code == 200
    db.session.expire_all()
    assert db.session.get(Quiz, quiz["id"]).questions_version == version + 1


@pytest.mark.mysql_only(reason="SQLite serialises every writer, so races need MariaDB/MySQL (set TEST_DATABASE_URL)")
def test_twenty_parallel_starts_of_a_drawn_quiz_make_one_attempt(app, client, bank):
    cls = bank[0]
    quiz = drawn_quiz(client, bank)
    student = make_student(cls)
    headers = auth(student)
    results = _in_parallel(app, lambda c, _i: c.post(f"/api/quizzes/{quiz['id']}/start", headers=headers))
    assert all(status in (200, 201) for status, _body in results), results
    assert len({body["attempt_id"] for _status, body in results}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    assert db.session.scalar(select(func.count()).select_from(AttemptQuestion)) == 5
