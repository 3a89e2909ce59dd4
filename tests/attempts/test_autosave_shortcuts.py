"""The autosave's shortcuts change nothing a caller can observe.

It checks the student's token in its own locking query instead of a query of its own
(`app.auth.holder.token_holder_required`): every way a token can go bad is still
refused exactly as on any other endpoint, and nothing is written; a route that acts
for a token holder without that locking read cannot succeed. It loads its body by
hand instead of through `@blp.arguments`: every bad body is refused as the arguments
layer refuses it, and the OpenAPI document still describes it.
"""
import pytest
from sqlalchemy import func, select, update

from app.attempts.answers import lock_for_save, upsert
from app.attempts.models import StudentAnswer
from app.auth.holder import current_token_holder
from app.common.clock import utcnow
from app.common.db import commit
from app.extensions import db
from app.users.models import User
from tests.attempts.conftest import quiz_for, start
from tests.factories import auth, make_student, make_teacher, tokens_for
from tests.helpers import assert_error


def _answer_count(attempt_id):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(StudentAnswer).where(
        StudentAnswer.attempt_id == attempt_id))


@pytest.fixture
def taking(client, school):
    """A started attempt and a fresh token pair of its student."""
    attempt_id = start(client, quiz_for(school), school.student_a).get_json()["attempt_id"]
    return attempt_id, tokens_for(school.student_a)


def _save(client, attempt_id, token, body=None, path="answer"):
    headers = {"Authorization": f"Bearer {token}"}
    if path == "answers":
        return client.put(f"/api/attempts/{attempt_id}/answers", headers=headers,
                          json=body or {"answers": [{"question_id": "x", "answer_text": "y"}]})
    return client.post(f"/api/attempts/{attempt_id}/answer", headers=headers, json=body)


def _set_user(user_id, **values):
    db.session.execute(update(User).where(User.id == user_id).values(**values))
    commit()


def _logout(client, token):
    assert client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def _revocations():
    return {
        "logged out": lambda client, student, token: _logout(client, token),
        "deactivated": lambda client, student, token: _set_user(student.id, is_active=False),
        "all tokens revoked": lambda client, student, token: _set_user(
            student.id, token_version=User.token_version + 1),
        "role changed": lambda client, student, token: _set_user(student.id, role="teacher"),
    }


@pytest.mark.parametrize("path", ["answer", "answers"])
@pytest.mark.parametrize("revocation", list(_revocations()))
def test_a_revoked_token_saves_nothing_and_hears_401_or_403(client, school, taking, revocation, path):
    attempt_id, pair = taking
    token = pair["access_token"]
    _revocations()[revocation](client, school.student_a, token)
    body = {"question_id": school.q.mcq.id, "answer_option": 1}
    if path == "answers":
        body = {"answers": [body]}
    response = _save(client, attempt_id, token, body, path)
    if revocation == "role changed":
        assert_error(response, 403, "FORBIDDEN")
    else:
        assert_error(response, 401, "TOKEN_REVOKED")
    assert _answer_count(attempt_id) == 0


@pytest.mark.parametrize("body, content_type", [
    ({"question_id": 7, "answer_option": "x"}, None),  # a body the schema refuses (422 otherwise)
    ({"question_id": "q", "surprise": 1}, None),  # an unknown field
    ('{"question_id": ', "application/json"),  # malformed JSON (400 otherwise)
    ("question_id=q", "text/plain"),  # not JSON (415 otherwise)
])
def test_a_revoked_token_hears_401_whatever_its_body(client, taking, body, content_type):
    attempt_id, pair = taking
    _logout(client, pair["access_token"])
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    url = f"/api/attempts/{attempt_id}/answer"
    if content_type is None:
        response = client.post(url, headers=headers, json=body)
    else:
        response = client.post(url, headers=headers, data=body, content_type=content_type)
    assert_error(response, 401, "TOKEN_REVOKED")


def test_the_same_bad_body_with_a_good_token_is_refused_for_its_body(client, taking):
    attempt_id, pair = taking
    response = _save(client, attempt_id, pair["access_token"], {"question_id": 7, "answer_option": "x"})
    assert_error(response, 422, "VALIDATION_ERROR")


def test_a_revoked_token_on_someone_elses_attempt_hears_401_not_404(client, school, taking):
    attempt_id, _pair = taking
    other = make_student(school.class_a, registration_number="REG-OTHER", email="other@school.test")
    other_token = tokens_for(other)["access_token"]
    assert_error(_save(client, attempt_id, other_token, {"question_id": school.q.mcq.id, "answer_option": 1}),
                 404, "NOT_FOUND")
    _logout(client, other_token)
    assert_error(_save(client, attempt_id, other_token, {"question_id": school.q.mcq.id, "answer_option": 1}),
                 401, "TOKEN_REVOKED")
    assert _answer_count(attempt_id) == 0


def test_a_teacher_token_is_403_before_anything_is_read(client, school, taking):
    attempt_id, _pair = taking
    response = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.teacher_a),
                           json={"question_id": school.q.mcq.id, "answer_option": 1})
    assert_error(response, 403, "FORBIDDEN")


def test_a_good_token_saves_and_the_next_request_is_checked_afresh(client, school, taking):
    """The shortcut's state belongs to one request: a later request of any kind is
    checked in full (the test client shares `g` between requests)."""
    attempt_id, pair = taking
    token = pair["access_token"]
    assert _save(client, attempt_id, token, {"question_id": school.q.mcq.id, "answer_option": 1}).status_code == 200
    assert _answer_count(attempt_id) == 1
    teacher = make_teacher(classes=[school.class_a])
    teacher_token = tokens_for(teacher)["access_token"]
    _logout(client, teacher_token)
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {teacher_token}"}),
                 401, "TOKEN_REVOKED")


@pytest.mark.parametrize("data, status, details", [
    (b"", 422, {"question_id": ["Missing data for required field."]}),
    (b"[1]", 422, {"_schema": ["Invalid input type."]}),
    (b"null", 422, {"_schema": ["Invalid input type."]}),
    (b"{", 400, {"json": ["Invalid JSON body."]}),
    (b"\xff\xfe{", 400, {"json": ["Invalid JSON body."]}),
    (b'{"question_id": 5}', 422, {"question_id": ["Not a valid string."]}),
    (b'{"question_id": "q", "x": 1}', 422, {"x": ["Unknown field."]}),
    (b'{"question_id": "q", "answer_option": -1}', 422,
     {"answer_option": ["Must be greater than or equal to 0 and less than or equal to 1000."]}),
])
def test_bad_bodies_are_refused_as_the_arguments_layer_refuses_them(client, taking, data, status, details):
    attempt_id, pair = taking
    response = client.post(f"/api/attempts/{attempt_id}/answer", data=data, content_type="application/json",
                           headers={"Authorization": f"Bearer {pair['access_token']}"})
    body = assert_error(response, status, "VALIDATION_ERROR" if status == 422 else "INVALID_JSON")
    assert body["details"] == details
    assert _answer_count(attempt_id) == 0


def test_the_openapi_document_still_describes_the_autosave(client):
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/attempts/{attempt_id}/answer"]["post"]
    assert operation["requestBody"] == {
        "required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AnswerIn"}}}}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SaveResult"}
    assert "422" in operation["responses"]


def test_only_the_autosave_and_start_act_for_a_token_holder(app):
    """A new route joins this list only if it is as hot and vouches for its token with
    its own read (see app.auth.holder)."""
    holders = set()
    for endpoint, view in app.view_functions.items():
        methods = [getattr(view.view_class, m) for m in ("get", "post", "put", "patch", "delete")
                   if hasattr(view.view_class, m)] if hasattr(view, "view_class") else [view]
        if any(getattr(method, "acts_for_token_holder", False) for method in methods):
            holders.add(endpoint)
    assert holders == {"attempts.save_answer", "attempts.save_answers", "attempts.start_quiz"}


def _through_the_request(app, attempt_id, token, view):
    """`view()` as the body of an autosave request, with the request's hooks around it."""
    with app.test_request_context(f"/api/attempts/{attempt_id}/answer", method="POST",
                                  headers={"Authorization": f"Bearer {token}"}):
        app.preprocess_request()
        return app.process_response(app.make_response(view()))


def test_a_success_no_locking_read_vouched_for_is_a_500_and_writes_nothing(app, school, taking):
    """The token holder is admitted without a database read: a route acting for one
    must vouch for the token with its locking read before it may succeed."""
    attempt_id, pair = taking
    row = {"question_id": school.q.mcq.id, "answer_option": 1, "answer_text": None}

    def save_without_the_locking_read():
        upsert(attempt_id, [row], utcnow())
        return {"message": "Answer saved"}

    response = _through_the_request(app, attempt_id, pair["access_token"], save_without_the_locking_read)
    assert_error(response, 500, "INTERNAL_ERROR")
    assert _answer_count(attempt_id) == 0

    def save_after_the_locking_read():
        lock_for_save(attempt_id, [school.q.mcq.id], current_token_holder())
        return save_without_the_locking_read()

    response = _through_the_request(app, attempt_id, pair["access_token"], save_after_the_locking_read)
    assert response.status_code == 200
    assert _answer_count(attempt_id) == 1
