"""`Idempotency-Key` on the creating POSTs (app.common.idempotency)."""
import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.common import clock
from app.common.idempotency import IdempotencyKey
from app.extensions import db
from app.questions.models import Question
from app.students.models import Student
from tests.factories import auth, make_admin, make_class, make_teacher
from tests.helpers import assert_error

QUESTION = {"text": "Capital of France?", "type": "mcq", "topic": "Geography", "difficulty": "easy",
            "marks": 2, "options": ["London", "Berlin", "Paris", "Madrid"], "correct_answer": 2}


def post_question(client, user, body, key="key-1"):
    return client.post("/api/questions", json=body, headers={**auth(user), "Idempotency-Key": key})


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_retried_creation_returns_the_first_response_without_a_second_row(client):
    teacher = make_teacher()
    first = post_question(client, teacher, QUESTION)
    again = post_question(client, teacher, dict(reversed(list(QUESTION.items()))))  # same value, other order
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(Question) == 1


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(client):
    teacher = make_teacher()
    post_question(client, teacher, QUESTION)
    body = assert_error(post_question(client, teacher, {**QUESTION, "marks": 3}), 422, "IDEMPOTENCY_KEY_REUSED")
    assert "Idempotency-Key" in body["details"]
    assert count(Question) == 1


def test_without_a_key_each_post_creates(client):
    teacher = make_teacher()
    for _ in range(2):
        assert client.post("/api/questions", json=QUESTION, headers=auth(teacher)).status_code == 201
    assert count(Question) == 2


def test_keys_belong_to_their_user(client):
    one, other = make_teacher(), make_teacher()
    assert post_question(client, one, QUESTION).status_code == 201
    response = post_question(client, other, QUESTION)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert count(Question) == 2


def test_a_refused_request_leaves_its_key_free_for_the_corrected_one(client):
    teacher = make_teacher()
    assert_error(post_question(client, teacher, {**QUESTION, "correct_answer": 9}), 422)
    assert post_question(client, teacher, QUESTION).status_code == 201
    assert count(Question) == 1 and count(IdempotencyKey) == 1


def test_a_key_is_forgotten_after_24_hours_and_purged(client, app):
    teacher = make_teacher()
    now = clock.utcnow()
    clock.set_frozen(now)
    post_question(client, teacher, QUESTION)
    clock.set_frozen(now + timedelta(hours=24, seconds=1))
    result = app.test_cli_runner().invoke(args=["purge-idempotency-keys"])
    assert result.exit_code == 0 and "deleted: 1" in result.output
    assert post_question(client, teacher, QUESTION).status_code == 201
    assert count(Question) == 2


def test_an_expired_key_not_yet_purged_is_reused_for_a_new_request(client):
    teacher = make_teacher()
    now = clock.utcnow()
    clock.set_frozen(now)
    post_question(client, teacher, QUESTION)
    clock.set_frozen(now + timedelta(hours=25))
    response = post_question(client, teacher, {**QUESTION, "marks": 3})
    assert response.status_code == 201 and response.get_json()["marks"] == 3
    assert count(IdempotencyKey) == 1


def test_the_stored_response_is_encrypted(client):
    admin, school_class = make_admin(), make_class()
    body = {"name": "Ada Lovelace", "email": "ada@school.test", "registration_number": "STU900",
            "class_id": school_class.id}
    headers = {**auth(admin), "Idempotency-Key": "student-ada"}
    first = client.post("/api/students", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/students", json=body, headers=headers)
    assert again.get_json()["claim_code"] == first.get_json()["claim_code"]
    stored = db.session.scalar(select(IdempotencyKey))
    assert first.get_json()["claim_code"].encode() not in stored.response
    assert count(Student) == 1


def test_a_retried_upload_imports_once(client):
    admin = make_admin()
    csv = b"name,email,registration_number,class_name,section,academic_year\nAda,ada@school.test,STU1,C1,A,2026-2027\n"

    def upload():
        data = {"file": (io.BytesIO(csv), "students.csv", "text/csv")}
        return client.post("/api/students/bulk-import", data=data, content_type="multipart/form-data",
                           headers={**auth(admin), "Idempotency-Key": "import-1"})

    first, again = upload(), upload()
    assert first.status_code == again.status_code
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert count(Student) == 1


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_a_malformed_key_is_refused(client, key):
    assert_error(post_question(client, make_teacher(), QUESTION, key=key), 422)
    assert count(Question) == 0


def test_the_key_is_ignored_where_nothing_is_created(client):
    teacher = make_teacher()
    question = client.post("/api/questions", json=QUESTION, headers=auth(teacher)).get_json()
    headers = {**auth(teacher), "Idempotency-Key": "archive"}
    assert client.post(f"/api/questions/{question['id']}/archive", headers=headers).status_code == 200
    assert count(IdempotencyKey) == 0


def test_the_creating_operations_document_the_header(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/questions", "/api/quizzes", "/api/students", "/api/classes", "/api/users",
                 "/api/questions/bulk-import", "/api/students/bulk-import", "/api/questions/bulk-create"):
        names = [p.get("name") for p in spec["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
    assert "Idempotency-Key" not in str(spec["paths"]["/api/auth/login"])
    upload = spec["paths"]["/api/students/bulk-import"]["post"]  # the generated parameters stay
    assert "dry_run" in [p["name"] for p in upload["parameters"]]
    assert "file" in upload["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]


@pytest.mark.mysql_only(reason="SQLite serialises every writer, so races need MariaDB/MySQL (set TEST_DATABASE_URL)")
def test_simultaneous_identical_requests_create_one_row(app):
    teacher = make_teacher()
    headers = {**auth(teacher), "Idempotency-Key": "race"}
    threads_count = 10
    barrier, results = threading.Barrier(threads_count), []

    def run():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post("/api/questions", json=QUESTION, headers=headers)
            results.append((response.status_code, response.get_json()["id"]))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == threads_count
    assert {status for status, _id in results} == {201}
    assert len({question_id for _status, question_id in results}) == 1
    assert count(Question) == 1
