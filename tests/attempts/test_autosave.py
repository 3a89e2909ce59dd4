from datetime import datetime

from sqlalchemy import select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.common import clock, events
from app.extensions import db
from tests.attempts.conftest import captured, quiz_for, start
from tests.factories import auth, make_attempt, make_student
from tests.helpers import assert_error

NOW = datetime(2026, 3, 2, 9, 0, 0)


def _answers(attempt_id):
    db.session.rollback()
    return db.session.scalars(select(StudentAnswer).where(StudentAnswer.attempt_id == attempt_id)).all()


def _begin(client, school, **kw):
    quiz = quiz_for(school, **kw)
    return quiz, start(client, quiz, school.student_a).get_json()["attempt_id"]


def test_save_is_an_idempotent_upsert_per_question(client, school):
    _quiz, attempt_id = _begin(client, school)
    headers = auth(school.student_a)
    url = f"/api/attempts/{attempt_id}/answer"
    first = client.post(url, json={"question_id": school.q.mcq.id, "answer_option": 2}, headers=headers)
    second = client.post(url, json={"question_id": school.q.mcq.id, "answer_option": 3}, headers=headers)
    assert first.status_code == 200 and second.status_code == 200
    body = second.get_json()
    assert body["message"] == "Answer saved"
    assert body["answered_count"] == 1 and body["question_count"] == 3
    assert {"server_time", "expires_at", "time_remaining_seconds"} <= body.keys()
    answers = _answers(attempt_id)
    assert [(a.question_id, a.answer_option) for a in answers] == [(school.q.mcq.id, 3)]


def _position(client, school, attempt_id):
    body = client.get(f"/api/attempts/{attempt_id}", headers=auth(school.teacher_a)).get_json()
    return body["current_question_index"], body["last_activity_at"]


def test_save_records_progress_for_monitoring(client, school):
    with clock.freeze(NOW) as frozen:
        _quiz, attempt_id = _begin(client, school)
        assert _position(client, school, attempt_id) == (0, "2026-03-02T09:00:00Z")
        frozen.advance(minutes=3)
        client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                    json={"question_id": school.q.short.id, "answer_text": "photosynthesis"})
        assert _position(client, school, attempt_id) == (2, "2026-03-02T09:03:00Z")
        frozen.advance(minutes=1)
        client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                    json={"question_id": school.q.mcq.id, "answer_option": 1})
        assert _position(client, school, attempt_id) == (0, "2026-03-02T09:04:00Z")
        resumed = start(client, _quiz, school.student_a).get_json()
    assert resumed["current_question_index"] == 0


def test_a_plain_save_writes_only_its_answer(client, school, count_queries):
    """The position of a plain save is in its answer row: the attempt row is not written."""
    _quiz, attempt_id = _begin(client, school)
    headers = auth(school.student_a)
    with count_queries() as statements:
        response = client.post(f"/api/attempts/{attempt_id}/answer", headers=headers,
                               json={"question_id": school.q.tf.id, "answer_option": 0})
    assert response.status_code == 200
    assert not [s for s in statements.statements if s.lstrip().upper().startswith("UPDATE")]


def test_explicit_question_index_is_recorded(client, school):
    with clock.freeze(NOW) as frozen:
        _quiz, attempt_id = _begin(client, school)
        frozen.advance(seconds=30)
        response = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                               json={"question_id": school.q.mcq.id, "answer_option": 0, "question_index": 1})
        assert response.get_json()["question_index"] == 1
        db.session.rollback()
        assert db.session.get(QuizAttempt, attempt_id).current_question_index == 1
        assert _position(client, school, attempt_id) == (1, "2026-03-02T09:00:30Z")


def test_the_saves_acknowledge_the_current_question_as_the_attempt_gives_it(client, school):
    _quiz, attempt_id = _begin(client, school)
    headers, q = auth(school.student_a), school.q
    single = client.post(f"/api/attempts/{attempt_id}/answer", headers=headers,
                         json={"question_id": q.short.id, "answer_text": "light"}).get_json()
    assert single["current_question_index"] == single["question_index"] == _position(client, school, attempt_id)[0]
    batch = client.put(f"/api/attempts/{attempt_id}/answers", headers=headers, json={"answers": [
        {"question_id": q.tf.id, "answer_option": 0}, {"question_id": q.mcq.id, "answer_option": 1,
                                                      "question_index": 1}]}).get_json()
    assert batch["current_question_index"] == batch["question_index"] == 1 == _position(client, school, attempt_id)[0]


def test_the_saves_old_name_for_the_current_question_is_deprecated_in_the_document(client):
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]["SaveResult"]
    assert schema["properties"]["question_index"]["deprecated"] is True
    assert "current_question_index" in schema["required"]


def test_batch_save_writes_every_answer(client, school):
    _quiz, attempt_id = _begin(client, school)
    q = school.q
    response = client.put(f"/api/attempts/{attempt_id}/answers", headers=auth(school.student_a), json={"answers": [
        {"question_id": q.mcq.id, "answer_option": 1},
        {"question_id": q.tf.id, "answer_option": 0},
        {"question_id": q.short.id, "answer_text": "light"},
    ]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["saved"] == 3 and response.get_json()["answered_count"] == 3
    assert {a.question_id: (a.answer_option, a.answer_text) for a in _answers(attempt_id)} == {
        q.mcq.id: (1, None), q.tf.id: (0, None), q.short.id: (None, "light")}


def test_save_of_a_question_outside_the_attempt_is_refused(client, school):
    _quiz, attempt_id = _begin(client, school)
    response = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                           json={"question_id": school.q.essay.id, "answer_text": "x"})
    assert "question_id" in assert_error(response, 422)["details"]


def test_save_must_fit_the_question_type(client, school):
    _quiz, attempt_id = _begin(client, school)
    url, headers, q = f"/api/attempts/{attempt_id}/answer", auth(school.student_a), school.q
    assert_error(client.post(url, headers=headers, json={"question_id": q.mcq.id, "answer_option": 4}), 422)
    assert_error(client.post(url, headers=headers, json={"question_id": q.tf.id, "answer_option": 2}), 422)
    assert_error(client.post(url, headers=headers, json={"question_id": q.mcq.id, "answer_text": "1"}), 422)
    assert_error(client.post(url, headers=headers, json={"question_id": q.short.id, "answer_option": 0}), 422)
    assert_error(client.post(url, headers=headers, json={"question_id": q.mcq.id, "answer_option": -1}), 422)
    assert _answers(attempt_id) == []


def test_answer_text_length_is_bounded(app, client, school):
    _quiz, attempt_id = _begin(client, school)
    limit = app.config["ANSWER_TEXT_MAX_LENGTH"]
    url, headers = f"/api/attempts/{attempt_id}/answer", auth(school.student_a)
    ok = client.post(url, headers=headers, json={"question_id": school.q.short.id, "answer_text": "a" * limit})
    too_long = client.post(url, headers=headers,
                           json={"question_id": school.q.short.id, "answer_text": "a" * (limit + 1)})
    assert ok.status_code == 200
    assert "answer_text" in assert_error(too_long, 422)["details"]


def test_unknown_fields_are_refused(client, school):
    _quiz, attempt_id = _begin(client, school)
    response = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                           json={"question_id": school.q.mcq.id, "answer_option": 1, "is_correct": True})
    assert_error(response, 422)


def test_another_students_attempt_is_not_found(client, school):
    _quiz, attempt_id = _begin(client, school)
    other = make_student(school.class_a)
    response = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(other),
                           json={"question_id": school.q.mcq.id, "answer_option": 1})
    assert_error(response, 404)
    assert_error(client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.teacher_a),
                             json={"question_id": school.q.mcq.id, "answer_option": 1}), 403)


def test_save_on_a_submitted_attempt_is_conflict(client, school):
    quiz = quiz_for(school)
    attempt = make_attempt(quiz, school.student_a, status="graded")
    response = client.post(f"/api/attempts/{attempt.id}/answer", headers=auth(school.student_a),
                           json={"question_id": school.q.mcq.id, "answer_option": 1})
    assert assert_error(response, 409, "ATTEMPT_CLOSED")["details"]["status"] == "graded"


def test_factory_attempt_without_option_order_still_checks_options(client, school):
    quiz = quiz_for(school)
    attempt = make_attempt(quiz, school.student_a)
    url, headers = f"/api/attempts/{attempt.id}/answer", auth(school.student_a)
    saved = client.post(url, headers=headers, json={"question_id": school.q.mcq.id, "answer_option": 3})
    assert saved.status_code == 200
    assert_error(client.post(url, headers=headers, json={"question_id": school.q.mcq.id, "answer_option": 9}), 422)


def test_save_within_grace_is_accepted(app, client, school):
    with clock.freeze(NOW) as frozen:
        _quiz, attempt_id = _begin(client, school, time_limit_minutes=10)
        frozen.advance(minutes=10, seconds=app.config["ATTEMPT_GRACE_SECONDS"] - 1)
        response = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                               json={"question_id": school.q.mcq.id, "answer_option": 1})
    assert response.status_code == 200
    assert response.get_json()["time_remaining_seconds"] == 0


def test_save_after_deadline_and_grace_is_refused_and_the_attempt_is_graded(app, client, school):
    with captured(events.attempt_submitted) as received:
        with clock.freeze(NOW) as frozen:
            _quiz, attempt_id = _begin(client, school, time_limit_minutes=10)
            url, headers = f"/api/attempts/{attempt_id}/answer", auth(school.student_a)
            assert client.post(url, headers=headers,
                               json={"question_id": school.q.mcq.id, "answer_option": 1}).status_code == 200
            frozen.advance(minutes=10, seconds=app.config["ATTEMPT_GRACE_SECONDS"] + 1)
            late = client.post(url, headers=headers, json={"question_id": school.q.tf.id, "answer_option": 0})
    body = assert_error(late, 409, "TIME_EXPIRED")
    assert body["details"]["status"] == "graded"
    db.session.rollback()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert (attempt.status, attempt.auto_submit_reason) == ("graded", "time_expired")
    assert attempt.in_progress_key is None
    assert float(attempt.score) == 2.0 and attempt.total_marks == 6
    assert [a.question_id for a in _answers(attempt_id)] == [school.q.mcq.id]
    assert received and received[0]["auto_submit_reason"] == "time_expired"


def test_save_counts_statements_on_the_hot_path(client, school, count_queries):
    _quiz, attempt_id = _begin(client, school)
    headers, payload = auth(school.student_a), {"question_id": school.q.mcq.id, "answer_option": 1}
    with count_queries() as counted:
        response = client.post(f"/api/attempts/{attempt_id}/answer", headers=headers, json=payload)
    assert response.status_code == 200
    # user + blocklist, locked attempt read, upsert, progress update
    assert counted.count <= 4, counted.statements


def test_answer_saved_event_carries_progress(client, school):
    with captured(events.answer_saved) as received:
        _quiz, attempt_id = _begin(client, school)
        client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                    json={"question_id": school.q.tf.id, "answer_option": 1})
    assert received == [{"attempt_id": attempt_id, "quiz_id": _quiz.id, "student_id": school.student_a.id,
                         "student_name": school.student_a.name,
                         "question_id": school.q.tf.id, "question_index": 1, "answered_count": 1,
                         "question_count": 3}]
