"""Start's one read changes nothing a caller can observe (app.attempts.start_read).

Start checks the student's token inside its one read instead of a query of its own
(app.auth.holder): every way a token can go bad is still refused exactly as on any
other endpoint, before or after the quiz is known, and no attempt is created; a
student who does not see the quiz still hears 404; the terms the read brings (the
student's overrides and extra time, their attempts so far, their name) are theirs.
"""
import pytest
from sqlalchemy import func, select, update

from app.attempts.models import QuizAttempt
from app.common import events
from app.common.db import commit
from app.extensions import db
from app.quizzes.models import QuizOverride
from app.students.models import StudentAccommodation
from app.users.models import User
from tests.attempts.conftest import captured, quiz_for
from tests.factories import auth, make_class, make_quiz, make_student, tokens_for
from tests.helpers import assert_error


def _attempts(quiz_id) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id))


def _start(client, quiz_id, token, **kw):
    return client.post(f"/api/quizzes/{quiz_id}/start", headers={"Authorization": f"Bearer {token}"}, **kw)


def _set_user(user_id, **values):
    db.session.execute(update(User).where(User.id == user_id).values(**values))
    commit()


def _logout(client, token):
    assert client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200


REVOCATIONS = {
    "logged out": lambda client, student, token: _logout(client, token),
    "deactivated": lambda client, student, token: _set_user(student.id, is_active=False),
    "all tokens revoked": lambda client, student, token: _set_user(student.id, token_version=User.token_version + 1),
    "role changed": lambda client, student, token: _set_user(student.id, role="teacher"),
}


@pytest.mark.parametrize("revocation", list(REVOCATIONS))
def test_a_revoked_token_starts_nothing_and_hears_401_or_403(client, school, revocation):
    quiz = quiz_for(school)
    token = tokens_for(school.student_a)["access_token"]
    REVOCATIONS[revocation](client, school.student_a, token)
    response = _start(client, quiz.id, token)
    if revocation == "role changed":
        assert_error(response, 403, "FORBIDDEN")
    else:
        assert_error(response, 401, "TOKEN_REVOKED")
    assert _attempts(quiz.id) == 0


def test_a_revoked_token_hears_401_even_for_a_quiz_it_could_not_see(client, school):
    elsewhere = make_quiz(school.teacher_a, questions=[school.q.mcq], classes=[make_class("Elsewhere")])
    token = tokens_for(school.student_a)["access_token"]
    assert_error(_start(client, elsewhere.id, token), 404, "NOT_FOUND")
    _logout(client, token)
    assert_error(_start(client, elsewhere.id, token), 401, "TOKEN_REVOKED")
    assert_error(_start(client, "no-such-quiz", token), 401, "TOKEN_REVOKED")


def test_a_revoked_token_with_a_bad_body_hears_401(client, school):
    quiz = quiz_for(school)
    token = tokens_for(school.student_a)["access_token"]
    _logout(client, token)
    assert_error(_start(client, quiz.id, token, json={"access_code": 7}), 401, "TOKEN_REVOKED")
    assert_error(_start(client, quiz.id, token, data="{", content_type="application/json"), 401, "TOKEN_REVOKED")


def test_staff_tokens_are_403_and_start_nothing(client, school):
    quiz = quiz_for(school)
    for user in (school.teacher_a, school.admin):
        assert_error(client.post(f"/api/quizzes/{quiz.id}/start", headers=auth(user)), 403, "FORBIDDEN")
    assert _attempts(quiz.id) == 0


def test_a_missing_or_broken_token_is_401(client, school):
    quiz = quiz_for(school)
    assert_error(client.post(f"/api/quizzes/{quiz.id}/start"), 401, "TOKEN_MISSING")
    assert_error(_start(client, quiz.id, "not.a.token"), 401, "TOKEN_INVALID")
    refresh = tokens_for(school.student_a)["refresh_token"]
    assert _start(client, quiz.id, refresh).status_code == 401
    assert _attempts(quiz.id) == 0


def test_a_student_of_another_class_or_a_draft_hears_404(client, school):
    quiz = quiz_for(school)
    outsider = make_student(make_class("Other class"))
    assert_error(client.post(f"/api/quizzes/{quiz.id}/start", headers=auth(outsider)), 404, "NOT_FOUND")
    draft = quiz_for(school, status="draft")
    assert_error(client.post(f"/api/quizzes/{draft.id}/start", headers=auth(school.student_a)), 404, "NOT_FOUND")
    assert _attempts(quiz.id) == 0 and _attempts(draft.id) == 0


def test_the_read_brings_the_students_own_terms_and_name(client, school):
    quiz = quiz_for(school, time_limit_minutes=30, max_attempts=1)
    mine, other = school.student_a, make_student(school.class_a)
    db.session.add_all([
        QuizOverride(quiz_id=quiz.id, class_id=school.class_a.id, max_attempts=3),
        QuizOverride(quiz_id=quiz.id, student_id=mine.id, time_limit_minutes=40),
        StudentAccommodation(student_id=mine.id, extra_time_percent=50, extra_time_minutes=2),
    ])
    commit()
    with captured(events.attempt_started) as started:
        body = client.post(f"/api/quizzes/{quiz.id}/start", headers=auth(mine)).get_json()
        other_body = client.post(f"/api/quizzes/{quiz.id}/start", headers=auth(other)).get_json()
    assert (body["effective_time_limit_minutes"], body["effective_max_attempts"], body["attempts_remaining"]) == (
        62, 3, 2)
    assert (other_body["effective_time_limit_minutes"], other_body["effective_max_attempts"]) == (30, 3)
    assert [event["student_name"] for event in started] == [mine.name, other.name]
