"""Per-question analytics of a quiz with pools: each question counts the attempts that saw it."""
from collections import Counter

from sqlalchemy import select

from app.attempts.models import AttemptQuestion
from app.extensions import db
from tests.factories import auth, make_class, make_question, make_student, make_teacher


def test_each_question_counts_the_attempts_that_saw_it(client):
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    fixed = make_question(teacher, marks=2, topic="Intro")
    for _ in range(4):
        make_question(teacher, type="numeric", marks=2, topic="Algebra")
    body = {"title": "Drawn", "subject": "Maths", "time_limit_minutes": 30, "class_ids": [cls.id],
            "question_ids": [fixed.id], "question_pools": [{"count": 2, "topic": "Algebra"}],
            "start_date": "2020-01-01T00:00:00Z", "end_date": "2099-01-01T00:00:00Z"}
    quiz = client.post("/api/quizzes", json=body, headers=auth(teacher)).get_json()
    assert client.put(f"/api/quizzes/{quiz['id']}", json={"status": "published"},
                      headers=auth(teacher)).status_code == 200
    for _ in range(5):
        student = make_student(cls)
        attempt = client.post(f"/api/quizzes/{quiz['id']}/start", headers=auth(student)).get_json()
        assert client.post(f"/api/attempts/{attempt['attempt_id']}/submit", headers=auth(student),
                           json={}).status_code == 200
    seen = Counter(db.session.scalars(select(AttemptQuestion.question_id)))
    report = client.get(f"/api/analytics/quiz/{quiz['id']}", headers=auth(teacher)).get_json()
    attempts = {row["question"]["id"]: row["attempts"] for row in report["question_statistics"]}
    assert attempts[fixed.id] == 5
    assert {qid: n for qid, n in attempts.items() if qid != fixed.id} == dict(seen)
    assert sum(seen.values()) == 10
