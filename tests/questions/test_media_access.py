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
def pictured(client, school):
    """The shared school, with a question showing two images in a quiz of class A."""
    cls, teacher, student = school.class_a, school.teacher_a, school.student_a
    question = make_question(teacher, text=IMAGE_HTML, options=['<img src="@@PLUGINFILE@@/nile.png">', "Amazon"],
                             correct_answer=0)
    plain = make_question(teacher, text="No picture here")
    media_id = upload(client, question.id, teacher, png(), "river.png").get_json()["id"]
    upload(client, question.id, teacher, png(2, 2), "nile.png")
    quiz = make_quiz(teacher, questions=[question, plain], classes=[cls])
    return type("Pictured", (), dict(class_a=cls, teacher_a=teacher, student_a=student, question=question,
                                     plain=plain, quiz=quiz, media_id=media_id))


def image_url(text: str) -> str:
    start = text.index('src="') + len('src="')
    return text[start:text.index('"', start)].replace("&amp;", "&")


def started(client, pictured) -> dict:
    response = client.post(f"/api/quizzes/{pictured.quiz.id}/start", headers=auth(pictured.student_a))
    assert response.status_code == 201
    return response.get_json()


def test_a_student_loads_the_image_during_their_attempt(client, pictured):
    view = started(client, pictured)
    shown = next(q for q in view["questions"] if q["id"] == pictured.question.id)
    assert "@@PLUGINFILE@@" not in shown["text"]
    response = client.get(image_url(shown["text"]))  # no Authorization header, like an <img> tag
    assert response.status_code == 200
    assert response.mimetype == "image/png" and response.data == png()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    option_url = image_url(next(o["text"] for o in shown["options"] if o["index"] == 0))
    assert client.get(option_url).data == png(2, 2)


def test_resuming_the_attempt_mints_fresh_urls(client, pictured):
    attempt_id = started(client, pictured)["attempt_id"]
    view = client.get(f"/api/attempts/{attempt_id}", headers=auth(pictured.student_a)).get_json()
    shown = next(q for q in view["questions"] if q["id"] == pictured.question.id)
    assert client.get(image_url(shown["text"])).status_code == 200


def test_a_url_for_an_attempt_of_another_quiz_is_not_found(client, pictured):
    other_quiz = make_quiz(pictured.teacher_a, questions=[pictured.plain], classes=[pictured.class_a])
    attempt = make_attempt(other_quiz, pictured.student_a)
    with client.application.test_request_context():
        url = signed_url(pictured.media_id, viewer_id=pictured.student_a.id, attempt_id=attempt.id, now=clock.utcnow())
    assert_error(client.get(url), 404)


def test_a_student_cannot_use_another_students_url(client, pictured):
    url = image_url(next(q for q in started(client, pictured)["questions"] if q["id"] == pictured.question.id)["text"])
    other = make_student(pictured.class_a)
    forged = url.replace(pictured.student_a.id, other.id)
    assert_error(client.get(forged), 404)


def test_a_tampered_or_unsigned_url_is_not_found(client, pictured):
    url = image_url(next(q for q in started(client, pictured)["questions"] if q["id"] == pictured.question.id)["text"])
    query = parse_qs(urlsplit(url).query)
    assert_error(client.get(url.replace(query["expires"][0], str(int(query["expires"][0]) + 3600))), 404)
    assert_error(client.get(f"/api/media/{pictured.media_id}"), 404)


def test_an_expired_url_is_refused(client, pictured):
    with clock.freeze(clock.utcnow()) as frozen:
        url = image_url(next(q for q in started(client, pictured)["questions"]
                             if q["id"] == pictured.question.id)["text"])
        frozen.advance(seconds=client.application.config["MEDIA_URL_TTL_SECONDS"] + 1)
        assert_error(client.get(url), 403, "MEDIA_URL_EXPIRED")


def test_after_submission_the_image_follows_the_quizs_review_setting(client, pictured):
    view = started(client, pictured)
    url = image_url(next(q for q in view["questions"] if q["id"] == pictured.question.id)["text"])
    assert client.post(f"/api/attempts/{view['attempt_id']}/submit", headers=auth(pictured.student_a),
                       json={}).status_code == 200
    assert client.get(url).status_code == 200  # the quiz allows review (the default)
    review = client.get(f"/api/attempts/{view['attempt_id']}", headers=auth(pictured.student_a)).get_json()
    entry = next(a for a in review["answers"] if a["question"]["id"] == pictured.question.id)
    assert client.get(image_url(entry["question"]["text"])).status_code == 200

    pictured.quiz.allow_review = False  # the review window closes
    commit()
    assert_error(client.get(url), 404)
    closed = client.get(f"/api/attempts/{view['attempt_id']}", headers=auth(pictured.student_a)).get_json()
    assert closed["answers"] == []


def test_an_attempt_past_its_deadline_no_longer_shows_images(client, pictured):
    attempt = make_attempt(pictured.quiz, pictured.student_a, started_at=clock.utcnow() - timedelta(hours=2))
    with client.application.test_request_context():
        url = signed_url(pictured.media_id, viewer_id=pictured.student_a.id, attempt_id=attempt.id, now=clock.utcnow())
    assert_error(client.get(url), 404)


def test_a_deactivated_viewers_url_stops_working(client, pictured):
    url = image_url(next(q for q in started(client, pictured)["questions"] if q["id"] == pictured.question.id)["text"])
    pictured.student_a.is_active = False
    commit()
    assert_error(client.get(url), 404)


def test_the_author_loads_it_and_a_teacher_of_another_class_gets_404(client, pictured):
    listed = client.get(f"/api/questions/{pictured.question.id}/media", headers=auth(pictured.teacher_a)).get_json()
    assert client.get(listed[0]["url"]).status_code == 200
    other = make_teacher(classes=[make_class()])
    assert_error(client.get(f"/api/questions/{pictured.question.id}/media", headers=auth(other)), 404)
    with client.application.test_request_context():
        minted = signed_url(pictured.media_id, viewer_id=other.id, attempt_id=None, now=clock.utcnow())
    assert_error(client.get(minted), 404)


def test_the_quizs_teacher_sees_the_images_in_an_attempt(client, pictured):
    attempt_id = started(client, pictured)["attempt_id"]
    view = client.get(f"/api/attempts/{attempt_id}", headers=auth(pictured.teacher_a)).get_json()
    entry = next(a for a in view["answers"] if a["question"]["id"] == pictured.question.id)
    assert client.get(image_url(entry["question"]["text"])).status_code == 200


def test_a_student_has_no_bank_url(client, pictured):
    with client.application.test_request_context():
        minted = signed_url(pictured.media_id, viewer_id=pictured.student_a.id, attempt_id=None, now=clock.utcnow())
    assert_error(client.get(minted), 404)
