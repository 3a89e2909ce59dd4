import csv
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from app.common.audit import AuditLog
from app.extensions import db
from app.questions.models import Question
from tests.factories import auth, make_class, make_student, make_teacher
from tests.helpers import assert_error

HEADER = "text,type,topic,difficulty,marks,options,correct_answer,accepted_answers,sample_answer,marking_rubric\n"


def question_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Question))


def upload(client, user, content: bytes, name="questions.csv", mimetype="text/csv", query=""):
    return client.post(f"/api/questions/bulk-import{query}", headers=auth(user),
                       data={"file": (io.BytesIO(content), name, mimetype)}, content_type="multipart/form-data")


def test_bulk_create_creates_valid_items_and_reports_the_others(client):
    teacher = make_teacher()
    items = [
        {"text": "2+2?", "type": "mcq", "marks": 1, "options": ["3", "4"], "correct_answer": 1},
        {"text": "Bad", "type": "mcq", "marks": 1, "options": ["only"], "correct_answer": 0},
        {"text": "Essay", "type": "descriptive", "marks": 5},
        "not an object",
    ]
    response = client.post("/api/questions/bulk-create", json={"questions": items}, headers=auth(teacher))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["created_count"], body["failed_count"]) == (2, 2)
    assert {(e["index"], e["field"]) for e in body["errors"]} == {(1, "options"), (3, "_schema")}
    created = db.session.scalars(select(Question).where(Question.id.in_(body["created_ids"]))).all()
    assert {q.text for q in created} == {"2+2?", "Essay"}
    assert all(q.created_by == teacher.id for q in created)


def test_bulk_create_dry_run_writes_nothing(client):
    items = [{"text": "Essay", "type": "descriptive", "marks": 5}]
    response = client.post("/api/questions/bulk-create", json={"questions": items, "dry_run": True},
                           headers=auth(make_teacher()))
    body = response.get_json()
    assert (body["created_count"], body["valid_count"], body["failed_count"]) == (0, 1, 0)
    assert question_count() == 0


def test_bulk_create_refuses_an_empty_or_missing_list(client):
    headers = auth(make_teacher())
    assert_error(client.post("/api/questions/bulk-create", json={"questions": []}, headers=headers), 422)
    assert_error(client.post("/api/questions/bulk-create", json={}, headers=headers), 422)


def test_csv_import_reads_every_type_and_reports_bad_rows(client):
    teacher = make_teacher()
    csv = (HEADER
           + "Capital of France?,mcq,Geography,easy,2,London|Paris|Rome,Paris,,,\n"
           + "Earth is flat,true_false,Science,easy,1,,false,,,\n"
           + "Plants make food by?,short answer,Biology,medium,2,,,photosynthesis|Photosynthesis ,,\n"
           + "Explain tides,descriptive,Science,hard,5,,,,The moon pulls.,2 marks each\n"
           + "Broken,mcq,Maths,easy,two,A|B,7,,,\n"
           + ",hotspot,,,1,,,,,\n").encode()
    response = upload(client, teacher, csv)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["total_rows"], body["imported"], body["failed"], body["dry_run"]) == (6, 4, 2, False)
    assert {(e["row"], e["field"]) for e in body["errors"]} >= {(6, "marks"), (7, "text"), (7, "type")}
    by_text = {q.text: q for q in db.session.scalars(select(Question))}
    assert by_text["Capital of France?"].correct_answer == 1
    assert by_text["Earth is flat"].correct_answer == 1
    assert by_text["Plants make food by?"].accepted_answers == ["photosynthesis"]
    assert by_text["Explain tides"].marking_rubric == "2 marks each"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "questions_imported")) is not None


def test_import_dry_run_checks_without_writing(client):
    csv = (HEADER + "Q,descriptive,,,3,,,,,\n").encode()
    body = upload(client, make_teacher(), csv, query="?dry_run=true").get_json()
    assert (body["valid"], body["imported"], body["created_ids"], body["dry_run"]) == (1, 1, [], True)
    assert question_count() == 0


def test_xlsx_import(client):
    book = Workbook()
    sheet = book.active
    sheet.append(["Text", "Type", "Marks", "Options", "Correct Answer"])
    sheet.append(["Pick B", "mcq", 3, "A|B|C", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, make_teacher(), buffer.getvalue(), name="q.xlsx",
                      mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response.get_json()["imported"] == 1, response.get_json()
    question = db.session.scalar(select(Question))
    assert (question.marks, question.correct_answer, question.options) == (3, 1, ["A", "B", "C"])


def test_import_refuses_other_file_types_and_students(client):
    assert_error(upload(client, make_teacher(), b"%PDF-1.4", name="q.pdf", mimetype="application/pdf"), 415)
    assert_error(upload(client, make_student(make_class()), HEADER.encode()), 403)


def test_bulk_create_takes_only_a_boolean_dry_run(client):
    items = [{"text": "Essay", "type": "descriptive", "marks": 5}]
    response = client.post("/api/questions/bulk-create", json={"questions": items, "dry_run": 0},
                           headers=auth(make_teacher()))
    assert response.status_code == 422
    assert "dry_run" in response.get_json()["details"]
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_bulk_create_answers_in_the_shared_bulk_shape(client):
    items = [{"text": "2+2?", "type": "mcq", "marks": 1, "options": ["3", "4"], "correct_answer": 1},
             {"text": "Bad", "type": "mcq", "marks": 1, "options": ["only"], "correct_answer": 0}]
    body = client.post("/api/questions/bulk-create", json={"questions": items}, headers=auth(make_teacher())).get_json()
    assert (body["created"], body["failed"]) == (1, 1)
    (error,) = body["errors"]
    assert error["index"] == 1 and error["field"] == "options" and error["message"] == error["error"]


def test_csv_import_reads_the_later_types_from_a_data_column(client):
    rows = [
        ["text", "type", "marks", "options", "data"],
        ["Primes?", "multiple select", "2", "2|3|4", '{"correct_options": [0, 1], "scoring": "partial"}'],
        ["g?", "numeric", "1", "", '{"correct_value": 9.81, "tolerance": 0.01}'],
        ["Match", "matching", "2", "", '{"pairs": [{"prompt": "a", "match": "1"}, {"prompt": "b", "match": "2"}]}'],
        ["Order", "ordering", "2", "", '{"items": ["x"]}'],
        ["{{1}} gap", "fill_in_blanks", "1", "", "not json"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    body = upload(client, make_teacher(), buffer.getvalue().encode()).get_json()
    assert (body["imported"], body["failed"]) == (3, 2)
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(5, "items"), (6, "data")}
    stored = {q.type: q for q in db.session.query(Question)}
    assert stored["multiple_select"].correct_options == [0, 1] and stored["numeric"].correct_value == 9.81
