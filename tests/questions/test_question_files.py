"""POST /api/questions/import and GET /api/questions/export, end to end on the database."""
import io
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.common.audit import AuditLog
from app.extensions import db
from app.questions.models import Question
from tests.factories import auth, make_question, make_quiz, make_student, make_teacher
from tests.helpers import assert_error

FILES = Path(__file__).parent / "files"
EXISTING = {"Capital of France": "mcq", "Rhine": "true_false", "Plants": "short_answer", "Tides": "descriptive"}
# A short answer with a 50% answer needs credits per accepted answer.
NEW_TYPES = {"Two plus two": "short_answer", "Primes": "multiple_select", "Pi": "numeric", "Animal sounds": "matching",
             "Capitals cloze": "fill_in_blanks", "Planets by distance": "ordering"}
INVALID = {"Colour spelling", "Even numbers (bad fractions)", "Bad fraction", "Numerical cloze"}
UNSUPPORTED = {"Area of a rectangle": "calculated", "Drag words": "ddwtos", "Section intro": "description"}


def question_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Question))


def import_file(client, user, content: bytes, name="bank.xml", **form):
    data = {"file": (io.BytesIO(content), name), **{k: str(v).lower() if isinstance(v, bool) else v
                                                     for k, v in form.items()}}
    return client.post("/api/questions/import", headers=auth(user), data=data, content_type="multipart/form-data")


def items_by_name(body):
    return {item["name"]: item for item in body["items"]}


def test_moodle_bank_imports_each_question_with_its_outcome(client):
    teacher = make_teacher()
    response = import_file(client, teacher, (FILES / "moodle_bank.xml").read_bytes())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    items = items_by_name(body)
    assert [item["index"] for item in body["items"]] == list(range(17))
    for name, qtype in EXISTING.items():
        assert (items[name]["status"], items[name]["type"]) == ("created", qtype)
    for name in INVALID:
        assert items[name]["status"] == "error" and items[name]["message"].startswith(name)
    for name, qtype in UNSUPPORTED.items():
        assert (items[name]["status"], items[name]["type"]) == ("unsupported", qtype)
    for name in NEW_TYPES:
        assert items[name]["status"] == "created", items[name]
    created = [item for item in body["items"] if item["status"] == "created"]
    assert (body["total"], body["created"], body["unsupported"]) == (17, len(created), 3)
    assert question_count() == len(created)


def test_imported_questions_keep_keys_credits_topics_and_clean_html(client):
    teacher = make_teacher()
    body = import_file(client, teacher, (FILES / "moodle_bank.xml").read_bytes()).get_json()
    stored = {name: db.session.get(Question, items_by_name(body)[name]["question_id"]) for name in EXISTING}
    capital = stored["Capital of France"]
    assert (capital.options, capital.correct_answer, capital.marks) == (["London", "Paris", "Rome"], 1, 2)
    assert capital.text == "<p>What is the <b>capital</b> of France?</p>" and capital.topic == "Geography/Europe"
    assert (stored["Rhine"].correct_answer, stored["Rhine"].created_by) == (0, teacher.id)
    assert (stored["Plants"].topic, stored["Plants"].marks) == ("Maths/Arithmetic", 2)
    assert stored["Plants"].accepted_answers == ["photosynthesis", "photo synthesis"]
    assert (stored["Tides"].marking_rubric, stored["Tides"].marks) == (
        "Two marks for the moon, three for the explanation.", 5)
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "questions_imported")).all()
    assert len(audit) == 1


def test_dry_run_reports_without_storing(client):
    body = import_file(client, make_teacher(), (FILES / "moodle_bank.xml").read_bytes(), dry_run=True).get_json()
    assert body["dry_run"] is True and body["created"] == 0
    assert {items_by_name(body)[name]["status"] for name in EXISTING} == {"valid"}
    assert all("question_id" not in item for item in body["items"])
    assert question_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_topic_files_every_question_under_it(client):
    body = import_file(client, make_teacher(), (FILES / "every_construct.gift").read_bytes(), name="bank.txt",
                       topic="Imported 2026").get_json()
    assert body["format"] == "gift" and body["created"] >= 5
    assert set(db.session.scalars(select(Question.topic))) == {"Imported 2026"}


def test_gift_errors_carry_their_line_and_do_not_sink_the_rest(client):
    content = b"::Good::Is this kept?{TRUE}\n\n::Broken::Never closed {=a ~b\n\n::Also good::Two?{=2 ~3}\n"
    body = import_file(client, make_teacher(), content, name="q.gift").get_json()
    assert [(i["status"], i["line"]) for i in body["items"]] == [("created", 1), ("error", 3), ("created", 5)]
    assert body["items"][1]["message"] == "line 3: the answer block opened on line 3 is never closed with }"
    assert question_count() == 2


def test_a_gift_file_whose_only_question_is_unterminated_stores_nothing(client):
    body = import_file(client, make_teacher(), b"::Q::Unterminated {=a ~b", name="q.gift").get_json()
    assert (body["created"], body["error"]) == (0, 1)
    assert question_count() == 0


def test_validation_errors_come_from_the_bank_schema_with_the_line(client):
    body = import_file(client, make_teacher(), b"// marks: 0\n::Zero::No marks?{TRUE}\n", name="q.gift").get_json()
    [item] = body["items"]
    assert item["status"] == "error" and item["message"].startswith("line 2: marks:")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<quiz><question type="essay"><name><text>&lol3;</text></name>
<questiontext format="html"><text>&lol3;</text></questiontext></question></quiz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><name><text>x</text></name>
<questiontext format="html"><text>&secret;</text></questiontext></question></quiz>"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_xml_bombs_are_refused_and_nothing_is_stored(client, content):
    body = assert_error(import_file(client, make_teacher(), content), 422, "UNREADABLE_FILE")
    assert "DTD or entities" in body["message"]
    assert question_count() == 0


def test_a_20_mb_file_is_refused_before_parsing(client):
    content = b"<quiz>" + b" " * (20 * 1024 * 1024) + b"</quiz>"
    assert_error(import_file(client, make_teacher(), content), 413)
    assert question_count() == 0


def test_a_file_over_the_configured_cap_is_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "QUESTION_IMPORT_MAX_MB", 1)
    content = b"::Q::Big?{TRUE}\n\n// " + b"x" * (1024 * 1024) + b"\n"
    body = assert_error(import_file(client, make_teacher(), content, name="q.gift"), 413)
    assert "1 MB" in body["message"]


@pytest.mark.parametrize("content, name, fmt", [
    ((FILES / "moodle_bank.xml").read_bytes(), "export.dat", "moodle_xml"),
    (b"::T::True?{T}\n", "questions.txt", "gift"),
    (json.dumps({"questions": [{"text": "J?", "type": "true_false", "marks": 1, "correct_answer": True}]}).encode(),
     "q.json", "json"),
    (b"text,type,marks,options,correct_answer\nC?,true_false,1,True|False,0\n", "q.csv", "csv"),
])
def test_the_format_is_detected_from_the_content(client, content, name, fmt):
    body = import_file(client, make_teacher(), content, name=name).get_json()
    assert body["format"] == fmt and body["created"] >= 1


def test_an_explicit_format_wins_and_a_wrong_one_is_refused(client):
    response = import_file(client, make_teacher(), b"::T::True?{T}\n", name="q.xml", format="moodle_xml")
    assert_error(response, 422, "UNREADABLE_FILE")
    assert_error(import_file(client, make_teacher(), b"x", format="docx"), 422)


def test_students_cannot_import_or_export(client):
    student = make_student()
    assert_error(import_file(client, student, b"::T::True?{T}\n", name="q.gift"), 403)
    assert_error(client.get("/api/questions/export?format=gift", headers=auth(student)), 403)


# --- export -----------------------------------------------------------------------------

def export(client, user, query: str):
    return client.get(f"/api/questions/export?{query}", headers=auth(user))


def test_export_applies_the_list_filters_and_sees_only_the_callers_questions(client):
    teacher, other = make_teacher(), make_teacher()
    make_question(teacher, text="Mine in Algebra?", topic="Algebra")
    make_question(teacher, text="Mine in Geometry?", topic="Geometry")
    make_question(other, text="Theirs in Algebra?", topic="Algebra")
    response = export(client, teacher, "format=moodle_xml&topic=algebra")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    xml = response.get_data(as_text=True)
    assert "Mine in Algebra?" in xml and "Geometry" not in xml and "Theirs" not in xml


@pytest.mark.parametrize("wildcard", ["%", "_"])
def test_export_search_takes_wildcards_literally(client, wildcard):
    teacher = make_teacher()
    make_question(teacher, text="Plain words?", topic="Plain")
    make_question(teacher, text=f"Has a {wildcard} in it?", topic="Odd")
    text = export(client, teacher, f"format=gift&search={wildcard}").get_data(as_text=True)
    assert "Plain words?" not in text and f"Has a {wildcard} in it?" in text


def test_export_by_ids_refuses_an_id_the_caller_cannot_see(client):
    teacher, other = make_teacher(), make_teacher()
    mine, theirs = make_question(teacher), make_question(other)
    assert export(client, teacher, f"format=gift&ids={mine.id}").status_code == 200
    assert_error(export(client, teacher, f"format=gift&ids={mine.id},{theirs.id}"), 404)


def test_export_of_a_quiz_keeps_the_quiz_order_and_hides_other_teachers_quizzes(client):
    teacher, other = make_teacher(), make_teacher()
    second, first = make_question(teacher, text="Second?"), make_question(teacher, text="First?")
    quiz = make_quiz(teacher, questions=[first, second])
    text = export(client, teacher, f"format=gift&quiz_id={quiz.id}").get_data(as_text=True)
    assert text.index("First?") < text.index("Second?")
    assert_error(export(client, other, f"format=gift&quiz_id={quiz.id}"), 404)


def test_gift_export_reports_what_it_cannot_hold(client):
    teacher = make_teacher()
    make_question(teacher, type="short_answer", text="Graded by hand?", accepted_answers=None)
    make_question(teacher, type="mcq", text="Kept?")
    response = export(client, teacher, "format=gift")
    assert response.headers["X-Export-Skipped"] == "1"
    text = response.get_data(as_text=True)
    assert "// Not exported: 'Graded by hand?'" in text and "::Kept?::" in text


@pytest.mark.parametrize("fmt", ["moodle_xml", "gift"])
def test_round_trip_through_the_api_gives_the_same_questions(client, fmt):
    teacher, receiver = make_teacher(), make_teacher()
    originals = [
        make_question(teacher, type="mcq", topic="Geography/Europe", options=["Paris", "Rome", "Oslo"],
                      correct_answer=2, marks=3),
        make_question(teacher, type="true_false", topic=None, correct_answer=1, text="<p>A <b>bold</b> claim</p>"),
        make_question(teacher, type="short_answer", accepted_answers=["photosynthesis", "Photo synthesis"],
                      sample_answer="Light to sugar.", marking_rubric="Spelling counts."),
        make_question(teacher, type="descriptive", marks=10, text="Explain:\nwhy {this} = that #1 ~ maybe"),
    ]
    exported = export(client, teacher, f"format={fmt}")
    assert exported.status_code == 200 and exported.headers["X-Export-Skipped"] == "0"
    body = import_file(client, receiver, exported.data, name="back.dat").get_json()
    assert body["created"] == 4, body
    copies = db.session.scalars(select(Question).where(Question.created_by == receiver.id)).all()
    fields = ("type", "text", "marks", "topic", "difficulty", "options", "correct_answer", "accepted_answers",
              "sample_answer", "marking_rubric")
    as_dicts = sorted(({f: getattr(q, f) for f in fields} for q in copies), key=lambda d: d["text"])
    assert as_dicts == sorted(({f: getattr(q, f) for f in fields} for q in originals), key=lambda d: d["text"])


def test_importing_2000_questions_is_one_batch_under_ten_seconds(client, count_queries):
    teacher = make_teacher()
    content = "\n\n".join(f"// marks: 2\n::Q{i}::Question number {i}?{{=right {i} ~wrong {i} ~other {i}}}"
                          for i in range(2000)).encode()
    with count_queries() as counted:
        started = time.perf_counter()
        response = import_file(client, teacher, content, name="big.gift")
        elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.get_json()["created"] == 2000
    print(f"\n2,000 GIFT questions imported in {elapsed:.2f} s with {counted.count} SQL statements")
    assert elapsed < 10
    assert counted.count < 60  # the user, the batched INSERTs and the audit row; never one per question
    assert question_count() == 2000


NEW_TYPE_PAYLOADS = {
    "short_answer_credits": {"type": "short_answer", "text": "2 + 2, in words?", "marks": 1, "topic": "Maths",
                             "accepted_answers": ["four", {"text": "4", "credit": 0.5}]},
    "multiple_select": {"type": "multiple_select", "text": "Primes?", "marks": 3, "topic": "Maths",
                        "options": ["2", "3", "4"], "correct_options": [0, 1], "scoring": "all_or_nothing"},
    "numeric": {"type": "numeric", "text": "Pi?", "marks": 1, "topic": "Maths", "correct_value": 3.14,
                "tolerance": 0.01, "tolerance_type": "absolute"},
    "matching": {"type": "matching", "text": "Match.", "marks": 2, "topic": "Languages",
                 "pairs": [{"prompt": "cat", "match": "meow"}, {"prompt": "dog", "match": "woof"}],
                 "distractors": ["moo"]},
    "ordering": {"type": "ordering", "text": "Order.", "marks": 2, "topic": "Physics",
                 "items": ["Mercury", "Venus", "Earth"], "scoring": "partial"},
    "fill_in_blanks": {"type": "fill_in_blanks", "text": "The capital of {{1}} is {{2}}.", "marks": 2,
                       "topic": "Geography", "blanks": [{"options": ["France", "Spain"], "correct_option": 0},
                                                        {"accepted": [{"text": "Paris", "credit": 1}],
                                                         "case_sensitive": False}]},
}
NOT_IN_GIFT = {"ordering", "fill_in_blanks"}
VOLATILE = {"id", "created_by", "created_at", "updated_at"}


# GIFT cannot hold every type: test_gift_export_reports_what_it_cannot_hold covers those.
ROUND_TRIPS = [(fmt, name) for fmt in ("moodle_xml", "gift") for name in sorted(NEW_TYPE_PAYLOADS)
               if not (fmt == "gift" and NEW_TYPE_PAYLOADS[name]["type"] in NOT_IN_GIFT)]


@pytest.mark.parametrize("fmt, name", ROUND_TRIPS)
def test_round_trip_of_the_extended_types_through_the_api(client, fmt, name):
    payload = NEW_TYPE_PAYLOADS[name]
    teacher, receiver = make_teacher(), make_teacher()
    created = client.post("/api/questions", json=payload, headers=auth(teacher))
    assert created.status_code == 201, created.get_json()
    exported = export(client, teacher, f"format={fmt}")
    body = import_file(client, receiver, exported.data, name="back.dat").get_json()
    [item] = body["items"]
    assert item["status"] == "created", item
    copy = client.get(f"/api/questions/{item['question_id']}", headers=auth(receiver)).get_json()
    original = created.get_json()
    assert {k: v for k, v in copy.items() if k not in VOLATILE} == {k: v for k, v in original.items()
                                                                     if k not in VOLATILE}


def test_options_may_come_as_query_parameters(client):
    response = client.post("/api/questions/import?dry_run=true&format=gift&topic=From%20query",
                           headers=auth(make_teacher()), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"::T::True?{T}\n"), "q.dat")})
    body = response.get_json()
    assert (body["format"], body["dry_run"], body["valid"]) == ("gift", True, 1)
    assert question_count() == 0


def test_a_retried_upload_with_the_same_idempotency_key_imports_once(client):
    teacher = make_teacher()

    def upload():
        return client.post("/api/questions/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"::T::True?{T}\n"), "q.gift")},
                           headers={**auth(teacher), "Idempotency-Key": "questions-1"})

    first, again = upload(), upload()
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert question_count() == 1
