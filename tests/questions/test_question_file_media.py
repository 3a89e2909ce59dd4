"""Images inside question files: imported with their question, exported with it."""
import base64
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.questions import importing
from app.questions.media import list_question_media, read_question_media
from app.questions.models import Question, QuestionMedia
from tests.factories import auth, make_class, make_question, make_quiz, make_student, make_teacher
from tests.helpers import assert_error
from tests.questions.media_helpers import GIF, HTML, png, upload
from tests.questions.test_media_access import image_url
from tests.questions.test_question_files import import_file, items_by_name

BANK = (Path(__file__).parent / "files" / "moodle_images.xml").read_bytes()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["MEDIA_ROOT"]).rglob("*") if p.is_file()]


def export(client, user, query: str):
    return client.get(f"/api/questions/export?{query}", headers=auth(user))


def one_question_file(name: str, data: bytes, *, path: str = "/") -> bytes:
    encoded = base64.b64encode(data).decode()
    return f"""<quiz><question type="essay"><name><text>Q</text></name>
<questiontext format="html"><text><![CDATA[<p><img src="@@PLUGINFILE@@/{name}"></p>]]></text>
<file name="{name}" path="{path}" encoding="base64">{encoded}</file></questiontext></question></quiz>""".encode()


def test_an_embedded_png_is_stored_with_its_question_and_a_disguised_page_is_refused(client, app):
    teacher = make_teacher()
    body = import_file(client, teacher, BANK).get_json()
    items = items_by_name(body)
    river = items["River on the map"]
    assert (river["status"], river["files"]) == ("created", ["river map.png", "flag.gif"])
    stored = {m.filename: m for m in list_question_media(db.session.get(Question, river["question_id"]))}
    assert read_question_media(stored["river map.png"]) == png(2, 1)
    assert (stored["flag.gif"].content_type, read_question_media(stored["flag.gif"])) == ("image/gif", GIF)
    assert stored["river map.png"].created_by == teacher.id
    disguised = items["Disguised page"]
    assert disguised["status"] == "error" and "question_id" not in disguised
    assert disguised["message"].startswith("Disguised page: the file 'picture.png' is refused: Only PNG, JPEG")
    assert items["No picture"]["status"] == "created" and "files" not in items["No picture"]
    assert (body["created"], body["error"]) == (2, 1)
    assert count(QuestionMedia) == 2 and len(stored_files(app)) == 2


def test_a_dry_run_checks_the_images_but_stores_and_writes_nothing(client, app):
    body = import_file(client, make_teacher(), BANK, dry_run=True).get_json()
    items = items_by_name(body)
    assert (items["River on the map"]["status"], items["River on the map"]["files"]) == (
        "valid", ["river map.png", "flag.gif"])
    assert items["Disguised page"]["status"] == "error"
    assert count(Question) == count(QuestionMedia) == 0
    assert stored_files(app) == []


def test_a_student_taking_a_quiz_with_an_imported_question_loads_its_image(client):
    cls = make_class()
    teacher, student = make_teacher(classes=[cls]), make_student(cls)
    river_id = items_by_name(import_file(client, teacher, BANK).get_json())["River on the map"]["question_id"]
    quiz = make_quiz(teacher, questions=[db.session.get(Question, river_id)], classes=[cls])
    started = client.post(f"/api/quizzes/{quiz.id}/start", headers=auth(student))
    assert started.status_code == 201
    [shown] = started.get_json()["questions"]
    assert "@@PLUGINFILE@@" not in shown["text"]
    response = client.get(image_url(shown["text"]))  # no Authorization header, like an <img> tag
    assert response.status_code == 200 and response.mimetype == "image/png" and response.data == png(2, 1)
    flag_option = next(o["text"] for o in shown["options"] if "<img" in o["text"])
    assert client.get(image_url(flag_option)).data == GIF


@pytest.mark.parametrize(("content", "message"), [
    (one_question_file("page.png", HTML), "the file 'page.png' is refused: Only PNG, JPEG, GIF and WebP"),
    (one_question_file("a.png", png(), path="/figures/"), "the file 'a.png' sits in the folder '/figures/'"),
    (one_question_file("a.png", png()).replace(b'encoding="base64">', b'encoding="base64">@@'),
     "the file 'a.png' is not valid base64"),
    (one_question_file("bad\"name.png".replace('"', "&quot;"), png()), "the file 'bad\"name.png' is refused"),
])
def test_an_unusable_file_makes_its_question_an_error_and_nothing_is_stored(client, app, content, message):
    [item] = import_file(client, make_teacher(), content).get_json()["items"]
    assert item["status"] == "error" and item["message"].startswith(f"Q: {message}"), item
    assert count(Question) == count(QuestionMedia) == 0
    assert stored_files(app) == []


def test_two_files_kept_under_one_name_are_an_error_before_anything_is_stored(client, app):
    second = f'<file name="old\\a.png" path="/" encoding="base64">{base64.b64encode(GIF).decode()}</file>'
    content = one_question_file("a.png", png()).replace(b"</questiontext>", second.encode() + b"</questiontext>")
    [item] = import_file(client, make_teacher(), content).get_json()["items"]
    assert (item["status"], item["message"]) == ("error", "Q: two different files are both kept as 'a.png'")
    assert count(QuestionMedia) == 0 and stored_files(app) == []


def test_an_image_over_the_media_cap_is_an_error_for_its_question(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_MB", 1)
    [item] = import_file(client, make_teacher(), one_question_file("big.png", png() + b"\0" * 1024 * 1024)
                         ).get_json()["items"]
    assert item["status"] == "error" and "the file 'big.png' is refused: The image is larger than 1 MB" in \
        item["message"]
    assert count(QuestionMedia) == 0


def test_an_import_that_fails_after_storing_images_leaves_no_rows(client, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(importing, "record_audit", fail)
    assert_error(import_file(client, make_teacher(), BANK), 500)
    assert count(Question) == count(QuestionMedia) == 0


def test_export_then_import_keeps_the_image_byte_for_byte(client):
    teacher, receiver = make_teacher(), make_teacher()
    question = make_question(teacher, text='<p>Which river?</p><p><img src="@@PLUGINFILE@@/my%20map.png"></p>',
                             options=['<p><img src="@@PLUGINFILE@@/nile.png"></p>', "Amazon"], correct_answer=0)
    assert upload(client, question.id, teacher, png(3, 2), "my map.png").status_code == 201
    assert upload(client, question.id, teacher, GIF, "nile.png").status_code == 201
    exported = export(client, teacher, "format=moodle_xml")
    assert exported.status_code == 200
    text = exported.get_data(as_text=True)
    assert re.search(r'<file name="my map.png" path="/" encoding="base64">[A-Za-z0-9+/=]+</file>', text)
    body = import_file(client, receiver, exported.data, name="back.xml").get_json()
    [item] = body["items"]
    assert item["status"] == "created", item
    copy = db.session.get(Question, item["question_id"])
    assert (copy.text, copy.options) == (question.text, question.options)
    assert {m.filename: read_question_media(m) for m in list_question_media(copy)} == {
        "my map.png": png(3, 2), "nile.png": GIF}


def test_gift_export_lists_a_question_with_images_instead_of_dropping_them(client):
    teacher = make_teacher()
    pictured = make_question(teacher, text='Which river? <img src="@@PLUGINFILE@@/map.png">')
    upload(client, pictured.id, teacher, png(), "map.png")
    make_question(teacher, text="Kept?")
    response = export(client, teacher, "format=gift")
    assert response.headers["X-Export-Skipped"] == "1"
    text = response.get_data(as_text=True)
    assert "// Not exported: 'Which river?' (mcq): GIFT cannot carry files" in text and "map.png" in text
    assert "::Kept?::" in text and "@@PLUGINFILE@@" not in text
