"""Who may load a question's image, through the signed URLs the views hand out."""
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.common import clock
from app.common.db import commit
from app.questions.media_urls import signed_url
from tests.factories import auth, make_attempt, make_class, make_question, make_quiz, make_student, make_teacher
from tests.helpers import assert_error
from tests.questions.media_helpers import png, upload

IMAGE_HTML = 'Which river is this? <img src="@@PLUGINFILE@@/river.png" alt="river">'


@pytest.fixture
def school(app, client):
    cls = make_class()
    teacher = make_teacher(classes=[cls])
    student = make_student(cls)
    question = make_question(teacher, text=IMAGE_HTML, options=['<img src="@@PLUGINFILE@@/nile.png">', "Amazon"],
                             correct_answer=0)
    plain = make_question(teacher, text="No picture here")
    media_id = upload(client, question.id, teacher, png(), "river.png").get_json()["id"]
    upload(client, question.id, teacher, png(2, 2), "nile.png")
    quiz = make_quiz(teacher, questions=[question, plain], classes=[cls])
    return type("School", (), dict(cls=cls, teacher=teacher, student=student, question=question,
                                   plain=plain, quiz=quiz, media_id=media_id))


def image_url(text: str) -> str:
    start = text.index('src="') + len('src="')
    return text[start:text.index('"', start)].replace("&amp;", "&")


def started(client, school) -> dict:
    response = client.post(f"/api/quizzes/{school.quiz.id}/start", headers=auth(school.student))
    assert response.status_code == 201
    return response.get_json()


def test_a_student_loads_the_image_during_their_attempt(client, school):
    view = started(client, school)
    shown = next(q for q in view["questions"] if q["id"] == school.question.id)
    assert "@@PLUGINFILE@@" not in shown["text"]
    response = client.get(image_url(shown["text"]))  # no Authorization header, like an <img> tag
    assert response.status_code == 200
    assert response.mimetype == "image/png" and response.data == png()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    option_url = image_url(next(o["text"] for o in shown["options"] if o["index"] == 0))
    assert client.get(option_url).data == png(2, 2)


def test_resuming_the_attempt_mints_fresh_urls(client, school):
    attempt_id = started(client, school)["attempt_id"]
    view = client.get(f"/api/attempts/{attempt_id}", headers=auth(school.student)).get_json()
    shown = next(q for q in view["questions"] if q["id"] == school.question.id)
    assert client.get(image_url(shown["text"])).status_code == 200


def test_a_url_for_an_attempt_of_another_quiz_is_not_found(client, school):
    other_quiz = make_quiz(school.teacher, questions=[school.plain], classes=[school.cls])
    attempt = make_attempt(other_quiz, school.student)
    with client.application.test_request_context():
        url = signed_url(school.media_id, viewer_id=school.student.id, attempt_id=attempt.id, now=clock.utcnow())
    assert_error(client.get(url), 404)


def test_a_student_cannot_use_another_students_url(client, school):
    url = image_url(next(q for q in started(client, school)["questions"] if q["id"] == school.question.id)["text"])
    other = make_student(school.cls)
    forged = url.replace(school.student.id, other.id)
    assert_error(client.get(forged), 404)


def test_a_tampered_or_unsigned_url_is_not_found(client, school):
    url = image_url(next(q for q in started(client, school)["questions"] if q["id"] == school.question.id)["text"])
    query = parse_qs(urlsplit(url).query)
    assert_error(client.get(url.replace(query["expires"][0], str(int(query["expires"][0]) + 3600))), 404)
    assert_error(client.get(f"/api/media/{school.media_id}"), 404)


def test_an_expired_url_is_refused(client, school):
    with clock.freeze(clock.utcnow()) as frozen:
        url = image_url(next(q for q in started(client, school)["questions"]
                             if q["id"] == school.question.id)["text"])
        frozen.advance(seconds=client.application.config["MEDIA_URL_TTL_SECONDS"] + 1)
        assert_error(client.get(url), 403, "MEDIA_URL_EXPIRED")


def test_after_submission_the_image_follows_the_quizs_review_setting(client, school):
    view = started(client, school)
    url = image_url(next(q for q in view["questions"] if q["id"] == school.question.id)["text"])
    assert client.post(f"/api/attempts/{view['attempt_id']}/submit", headers=auth(school.student),
                       json={}).status_code == 200
    assert client.get(url).status_code == 200  # the quiz allows review (the default)
    review = client.get(f"/api/attempts/{view['attempt_id']}", headers=auth(school.student)).get_json()
    entry = next(a for a in review["answers"] if a["question"]["id"] == school.question.id)
    assert client.get(image_url(entry["question"]["text"])).status_code == 200

    school.quiz.allow_review = False  # the review window closes
    commit()
    assert_error(client.get(url), 404)
    closed = client.get(f"/api/attempts/{view['attempt_id']}", headers=auth(school.student)).get_json()
    assert closed["answers"] == []


def test_an_attempt_past_its_deadline_no_longer_shows_images(client, school):
    attempt = make_attempt(school.quiz, school.student, started_at=clock.utcnow() - timedelta(hours=2))
    with client.application.test_request_context():
        url = signed_url(school.media_id, viewer_id=school.student.id, attempt_id=attempt.id, now=clock.utcnow())
    assert_error(client.get(url), 404)


def test_a_deactivated_viewers_url_stops_working(client, school):
    url = image_url(next(q for q in started(client, school)["questions"] if q["id"] == school.question.id)["text"])
    school.student.is_active = False
    commit()
    assert_error(client.get(url), 404)


def test_the_author_loads_it_and_a_teacher_of_another_class_gets_404(client, school):
    listed = client.get(f"/api/questions/{school.question.id}/media", headers=auth(school.teacher)).get_json()
    assert client.get(listed[0]["url"]).status_code == 200
    other = make_teacher(classes=[make_class()])
    assert_error(client.get(f"/api/questions/{school.question.id}/media", headers=auth(other)), 404)
    with client.application.test_request_context():
        minted = signed_url(school.media_id, viewer_id=other.id, attempt_id=None, now=clock.utcnow())
    assert_error(client.get(minted), 404)


def test_the_quizs_teacher_sees_the_images_in_an_attempt(client, school):
    attempt_id = started(client, school)["attempt_id"]
    view = client.get(f"/api/attempts/{attempt_id}", headers=auth(school.teacher)).get_json()
    entry = next(a for a in view["answers"] if a["question"]["id"] == school.question.id)
    assert client.get(image_url(entry["question"]["text"])).status_code == 200


def test_a_student_has_no_bank_url(client, school):
    with client.application.test_request_context():
        minted = signed_url(school.media_id, viewer_id=school.student.id, attempt_id=None, now=clock.utcnow())
    assert_error(client.get(minted), 404)
