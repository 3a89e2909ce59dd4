"""Question media: upload by content type, limits, listing, deletion, and who may do it."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.common.clock import utcnow
from app.common.db import commit
from app.extensions import db
from app.questions.media import store_question_media
from app.questions.media_urls import rewrite_media_references
from app.questions.models import QuestionMedia
from tests.factories import auth, make_admin, make_class, make_question, make_student, make_teacher
from tests.helpers import assert_error
from tests.questions.media_helpers import GIF, HTML, JPEG, SVG, WEBP, png, upload


@pytest.fixture
def teacher(app):
    return make_teacher(classes=[make_class()])


@pytest.fixture
def question(teacher):
    return make_question(teacher, text='Which river? <img src="@@PLUGINFILE@@/map.png">')


def media_count() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionMedia))


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["MEDIA_ROOT"]).rglob("*") if p.is_file()]


def test_an_uploaded_png_is_stored_listed_and_referable(client, app, teacher, question):
    response = upload(client, question.id, teacher, png(), "map.png")
    assert response.status_code == 201
    body = response.get_json()
    assert body["filename"] == "map.png" and body["content_type"] == "image/png"
    assert body["reference"] == "@@PLUGINFILE@@/map.png"
    assert f"/api/media/{body['id']}?" in body["url"] and "sig=" in body["url"]
    listed = client.get(f"/api/questions/{question.id}/media", headers=auth(teacher)).get_json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert client.get(body["url"]).data == png()


@pytest.mark.parametrize(("data", "content_type"), [
    (png(), "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")])
def test_the_type_is_read_from_the_content_not_the_name(client, teacher, question, data, content_type):
    response = upload(client, question.id, teacher, data, "picture.bin")
    assert response.status_code == 201
    assert response.get_json()["content_type"] == content_type


@pytest.mark.parametrize(("data", "filename"), [(SVG, "diagram.svg"), (HTML, "innocent.png"), (b"", "empty.png")])
def test_svg_html_and_other_content_is_refused_and_nothing_stored(client, app, teacher, question, data, filename):
    response = upload(client, question.id, teacher, data, filename)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert media_count() == 0
    assert stored_files(app) == []


def test_an_image_over_the_size_cap_is_413(client, app, teacher, question, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_MB", 1)
    too_big = png() + b"\x00" * (1024 * 1024)
    assert_error(upload(client, question.id, teacher, too_big), 413, "PAYLOAD_TOO_LARGE")
    assert media_count() == 0


def test_other_bytes_under_a_taken_name_are_409_and_the_same_bytes_change_nothing(client, app, teacher, question):
    first = upload(client, question.id, teacher, png(), "map.png").get_json()
    assert_error(upload(client, question.id, teacher, GIF, "map.png"), 409, "MEDIA_NAME_TAKEN")
    again = upload(client, question.id, teacher, png(), "map.png")
    assert again.status_code == 201 and again.get_json()["id"] == first["id"]
    assert media_count() == 1 and len(stored_files(app)) == 1
    assert upload(client, question.id, teacher, GIF, "Map.png").status_code == 201  # names are exact


def test_a_path_in_the_name_is_dropped_and_unusable_names_refused(client, teacher, question):
    assert upload(client, question.id, teacher, png(), "../../etc/map.png").get_json()["filename"] == "map.png"
    assert_error(upload(client, question.id, teacher, png(), "a<b>#1.png"), 422)


def test_an_upload_without_a_file_is_422(client, teacher, question):
    response = client.post(f"/api/questions/{question.id}/media", headers=auth(teacher),
                           data={}, content_type="multipart/form-data")
    assert_error(response, 422)


def test_deleting_removes_the_row_and_then_the_file(client, app, teacher, question):
    media_id = upload(client, question.id, teacher, png()).get_json()["id"]
    assert len(stored_files(app)) == 1
    response = client.delete(f"/api/questions/{question.id}/media/{media_id}", headers=auth(teacher))
    assert response.status_code == 200
    assert media_count() == 0 and stored_files(app) == []


def test_a_teacher_of_another_class_gets_404_and_a_student_403(client, teacher, question):
    media_id = upload(client, question.id, teacher, png()).get_json()["id"]
    other = make_teacher(classes=[make_class()])
    assert_error(client.get(f"/api/questions/{question.id}/media", headers=auth(other)), 404)
    assert_error(upload(client, question.id, other, png(), "mine.png"), 404)
    assert_error(client.delete(f"/api/questions/{question.id}/media/{media_id}", headers=auth(other)), 404)
    student = make_student(make_class())
    assert_error(client.get(f"/api/questions/{question.id}/media", headers=auth(student)), 403)
    assert media_count() == 1


def test_an_admin_manages_any_questions_media(client, question):
    admin = make_admin()
    assert upload(client, question.id, admin, png()).status_code == 201


def test_media_of_another_question_is_not_found_under_this_one(client, teacher, question):
    media_id = upload(client, question.id, teacher, png()).get_json()["id"]
    second = make_question(teacher)
    assert_error(client.delete(f"/api/questions/{second.id}/media/{media_id}", headers=auth(teacher)), 404)


def test_deleting_a_question_deletes_its_media(client, app, teacher, question):
    upload(client, question.id, teacher, png())
    assert client.delete(f"/api/questions/{question.id}", headers=auth(teacher)).status_code == 200
    assert media_count() == 0 and stored_files(app) == []


def test_a_duplicate_shows_the_same_images_from_its_own_copies(client, app, teacher, question):
    upload(client, question.id, teacher, png(), "map.png")
    copy_id = client.post(f"/api/questions/{question.id}/duplicate", headers=auth(teacher)).get_json()["id"]
    listed = client.get(f"/api/questions/{copy_id}/media", headers=auth(teacher)).get_json()
    assert [item["filename"] for item in listed] == ["map.png"]
    assert len(stored_files(app)) == 2


def test_the_storage_service_is_callable_without_a_request(app, teacher, question):
    media = store_question_media(question, filename="map.png", data=png(), actor=teacher, now=utcnow())
    commit()
    assert db.session.get(QuestionMedia, media.id).size == len(png())


# --- the question's HTML ------------------------------------------------------------

def test_question_html_is_sanitised_on_create(client, teacher):
    response = client.post("/api/questions", headers=auth(teacher), json={
        "text": '<p onclick="x()">Name it <script>steal()</script><img src="@@PLUGINFILE@@/a.png" onerror="x"></p>',
        "type": "mcq", "marks": 1, "options": ['<b>Nile</b>', '<a href="javascript:x()">Amazon</a>'],
        "correct_answer": 0})
    assert response.status_code == 201
    body = response.get_json()
    assert body["text"] == '<p>Name it <img src="@@PLUGINFILE@@/a.png"></p>'
    assert [option["text"] for option in body["options"]] == ["<b>Nile</b>", '<a rel="noopener noreferrer">Amazon</a>']


def test_question_html_is_sanitised_on_update(client, teacher, question):
    response = client.put(f"/api/questions/{question.id}", headers=auth(teacher),
                          json={"text": "Is 3 < 5? <iframe src='https://evil.test'></iframe>"})
    assert response.status_code == 200
    assert response.get_json()["text"] == "Is 3 &lt; 5?"


def test_text_that_is_only_unsafe_html_is_blank_and_refused(client, teacher):
    response = client.post("/api/questions", headers=auth(teacher), json={
        "text": "<script>alert(1)</script>", "type": "descriptive", "marks": 1})
    assert_error(response, 422)
    assert "text" in response.get_json()["details"]


# --- rewriting references -------------------------------------------------------------

def test_references_are_rewritten_by_decoded_name_and_unknown_ones_kept():
    html = '<img src="@@PLUGINFILE@@/my%20map.png"> <img src="@@PLUGINFILE@@/gone.png">'
    rewritten = rewrite_media_references(html, {"my map.png": "/api/media/1?a=1&sig=x"})
    assert rewritten == '<img src="/api/media/1?a=1&amp;sig=x"> <img src="@@PLUGINFILE@@/gone.png">'
    assert rewrite_media_references("no images", {}) == "no images"
    assert rewrite_media_references(None, {}) is None


def test_an_answered_questions_images_stay_for_the_review(client, app, teacher, question):
    from tests.factories import make_answer, make_attempt, make_quiz

    media_id = upload(client, question.id, teacher, png()).get_json()["id"]
    student = make_student(make_class())
    make_answer(make_attempt(make_quiz(teacher, questions=[question]), student, status="submitted"), question, option=0)
    response = client.delete(f"/api/questions/{question.id}/media/{media_id}", headers=auth(teacher))
    assert_error(response, 409, "QUESTION_HAS_ANSWERS")
    assert media_count() == 1 and len(stored_files(app)) == 1
