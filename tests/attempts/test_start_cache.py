"""The cache of a quiz's shown questions: what start reads, and what moves its version."""
import json
import os
import threading

import pytest
from sqlalchemy import select

from app.attempts.models import QuizAttempt
from app.extensions import db
from app.questions.models import ANSWER_KEY_FIELDS
from app.quizzes import shown
from app.quizzes.models import Quiz
from tests.attempts.conftest import quiz_for, start
from tests.factories import auth, make_question
from tests.helpers import walk_keys

mysql_only = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="two real connections racing need MariaDB/MySQL (set TEST_DATABASE_URL)")


def _texts(body) -> list[str]:
    return sorted(question["text"] for question in body["questions"])


def _question_statements(counted) -> list[str]:
    return [s for s in counted.statements if "FROM questions" in s or "JOIN quiz_questions" in s]


def _warm(quiz_id):
    """What a start before the edit would have left behind."""
    shown.shown_questions(db.session.get(Quiz, quiz_id))
    db.session.rollback()


def test_a_second_start_reads_no_question_rows(client, school, count_queries):
    quiz = quiz_for(school, max_attempts=2)
    other = _other_student(school)
    assert start(client, quiz, school.student_a).status_code == 201
    with count_queries() as counted:
        response = start(client, quiz, other)
    assert response.status_code == 201
    assert _question_statements(counted) == []
    assert len(response.get_json()["questions"]) == 3


def test_the_cache_holds_no_answer_key_field(app, school):
    quiz = quiz_for(school, questions=[school.q.mcq, school.q.short, school.q.essay])
    rows = shown.shown_questions(db.session.get(Quiz, quiz.id))
    assert {field for question, _marks in rows for field in question._fields} == {"id", "type", "text", "options",
                                                                                  "marks", "extra", "pool"}


def test_the_cache_holds_the_later_types_as_shown_and_never_their_key(app, school):
    later = [make_question(school.teacher_a, type=t) for t in ("matching", "fill_in_blanks", "numeric")]
    quiz = quiz_for(school, questions=later)
    rows = shown.shown_questions(db.session.get(Quiz, quiz.id))
    cached = json.dumps([question._asdict() for question, _marks in rows])
    assert not set(walk_keys(json.loads(cached))) & set(ANSWER_KEY_FIELDS)
    assert "9.81" not in cached and '"100"' not in cached and "correct_option" not in cached
    assert rows[0][0].extra == {"prompts": ["France", "Spain", "Italy"]}


def test_editing_the_question_list_before_any_attempt_shows_the_new_list(client, school):
    quiz = quiz_for(school)
    _warm(quiz.id)
    body = {"questions": [{"question_id": school.q.essay.id, "marks_override": 7}]}
    assert client.put(f"/api/quizzes/{quiz.id}", json=body, headers=auth(school.teacher_a)).status_code == 200
    started = start(client, quiz, school.student_a).get_json()
    assert [(q["id"], q["marks"]) for q in started["questions"]] == [(school.q.essay.id, 7)]


def test_editing_a_question_before_any_attempt_shows_the_new_text(client, school):
    quiz = quiz_for(school)
    _warm(quiz.id)
    response = client.put(f"/api/questions/{school.q.short.id}", json={"text": "Name the process, again"},
                          headers=auth(school.teacher_a))
    assert response.status_code == 200, response.get_json()
    assert "Name the process, again" in _texts(start(client, quiz, school.student_a).get_json())


def test_settings_edits_keep_the_version(client, school):
    quiz = quiz_for(school)
    before = quiz.questions_version
    assert client.put(f"/api/quizzes/{quiz.id}", json={"title": "Renamed"},
                      headers=auth(school.teacher_a)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).questions_version == before


def test_an_entry_in_redis_serves_a_process_without_a_local_copy(app, school):
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    quiz = quiz_for(school)
    app.config["REDIS_URL"] = url
    try:
        first = shown.shown_questions(db.session.get(Quiz, quiz.id))
        shown.forget_local()  # as another worker process would be
        from tests.helpers import QueryCounter
        with QueryCounter(db.engine)() as counted:
            again = shown.shown_questions(db.session.get(Quiz, quiz.id))
        assert again == first and _question_statements(counted) == []
    finally:
        app.config["REDIS_URL"] = None


def test_starts_go_on_when_redis_is_down(app, client, school):
    quiz = quiz_for(school)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        response = start(client, quiz, school.student_a)
    finally:
        app.config["REDIS_URL"] = None
    assert response.status_code == 201 and len(response.get_json()["questions"]) == 3


def _other_student(school):
    from tests.factories import make_student

    return make_student(school.class_a)


# An edit racing the first start, on two real connections.

def _in_thread(app, fn):
    outcome = {}

    def run():
        with app.app_context():
            try:
                outcome["response"] = fn(app.test_client())
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _edit_questions(quiz_id, school):
    body = {"questions": [{"question_id": school.q.essay.id, "marks_override": None}]}
    headers = auth(school.teacher_a)
    return lambda client: client.put(f"/api/quizzes/{quiz_id}", json=body, headers=headers)


@mysql_only
def test_a_start_waits_for_an_edit_in_flight_and_shows_the_edited_questions(app, client, school, monkeypatch):
    """The edit has moved the version (its lock on the quiz row) and not committed yet
    when the first start arrives: the start's read waits for it, then shows the edit."""
    from app.quizzes import services as quiz_services

    quiz = quiz_for(school)
    quiz_id, essay_id = quiz.id, school.q.essay.id
    edit = _edit_questions(quiz_id, school)  # issuing its token commits: not inside the start
    student_headers = auth(school.student_a)
    bumped, release = threading.Event(), threading.Event()
    looks_for_attempts = quiz_services.has_attempts

    def hold_the_edit_after_its_bump(quiz, **kw):
        found = looks_for_attempts(quiz, **kw)
        bumped.set()
        assert release.wait(30)
        return found

    monkeypatch.setattr(quiz_services, "has_attempts", hold_the_edit_after_its_bump)
    edit_thread, edited = _in_thread(app, edit)
    assert bumped.wait(30)
    start_thread, started = _in_thread(app, lambda c: c.post(f"/api/quizzes/{quiz_id}/start",
                                                             headers=student_headers))
    start_thread.join(1.5)
    assert start_thread.is_alive(), "the start must wait for the edit's commit"
    release.set()
    edit_thread.join(30)
    start_thread.join(30)
    assert edited["response"].status_code == 200
    response = started["response"]
    assert response.status_code == 201
    assert [q["id"] for q in response.get_json()["questions"]] == [essay_id]
    db.session.rollback()
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id))
    assert attempt.question_order == [essay_id]


@mysql_only
def test_an_edit_behind_the_first_start_waits_and_is_refused(app, client, school, monkeypatch):
    quiz = quiz_for(school)
    quiz_id = quiz.id
    questions_of, edit = shown.shown_questions, {}
    request_edit = _edit_questions(quiz_id, school)  # issuing its token commits: not inside the start

    def edit_arrives_after_the_read(quiz):
        edit["thread"], edit["outcome"] = _in_thread(app, request_edit)
        edit["thread"].join(1.5)
        assert edit["thread"].is_alive(), "the edit must wait for the start's commit"
        return questions_of(quiz)

    monkeypatch.setattr(shown, "shown_questions", edit_arrives_after_the_read)
    response = start(client, quiz, school.student_a)
    edit["thread"].join(30)
    assert response.status_code == 201
    refused = edit["outcome"]["response"]
    assert refused.status_code == 409 and refused.get_json()["error_code"] == "QUIZ_HAS_ATTEMPTS"
    started_ids = [q["id"] for q in response.get_json()["questions"]]
    assert started_ids == [school.q.mcq.id, school.q.tf.id, school.q.short.id]
