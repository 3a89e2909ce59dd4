import io
from datetime import date, datetime

from openpyxl import Workbook
from sqlalchemy import func, select

from app.auth.passwords import hash_code
from app.classes.models import SchoolClass
from app.common import events
from app.extensions import bcrypt, db
from app.students.models import Student
from app.users.models import User
from tests.factories import auth, make_admin, make_class, make_student, make_teacher
from tests.helpers import assert_error
from tests.students.helpers import audit_actions, captured, claim

HEADER = "name,email,registration_number,class_name,section,academic_year,date_of_birth\n"
MIXED = (
    HEADER
    + "Alice Johnson,alice@school.test,STU001,Class 10,A,2026-2027,2008-05-15\n"   # row 2: good
    + "Bilal Rahman,bilal@school.test,STU002,Class 10,A,2026-2027,\n"             # row 3: good
    + "Alice Johnson,alice@school.test,STU001,Class 10,A,2026-2027,2008-05-15\n"   # row 4: duplicate of row 2
    + "Chloe Dubois,not-an-email,STU003,Class 10,A,2026-2027,\n"                  # row 5: bad e-mail
    + ",daniel@school.test,STU004,Class 10,A,2026-2027,\n"                        # row 6: missing name
    + "Elif Yilmaz,elif@school.test,STU005,Class 11,,,\n"                         # row 7: good, new class
)


def upload(client, user, content, *, filename="students.csv", mimetype="text/csv", dry_run=None, as_query=False):
    data = {"file": (io.BytesIO(content if isinstance(content, bytes) else content.encode()), filename, mimetype)}
    url = "/api/students/bulk-import"
    if dry_run is not None:
        if as_query:
            url += f"?dry_run={str(dry_run).lower()}"
        else:
            data["dry_run"] = str(dry_run).lower()
    return client.post(url, data=data, headers=auth(user), content_type="multipart/form-data")


def student_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Student))


def test_good_rows_are_imported_and_exactly_the_bad_ones_reported(client):
    admin = make_admin()
    existing = make_class("Class 10", section="A", academic_year="2026-2027")
    response = upload(client, admin, MIXED)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["imported"] == 3 and body["failed"] == 3 and body["total_rows"] == 6
    assert body["dry_run"] is False
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (4, "email"), (4, "registration_number"), (5, "email"), (6, "name")]
    assert body["errors"][0]["error"] == "Duplicate of row 2 in this file"
    assert body["errors"][2]["error"] == "Invalid e-mail address"
    assert body["errors"][3]["error"] == "Missing value"
    assert [s["row"] for s in body["imported_students"]] == [2, 3, 7]
    assert student_count() == 3
    alice = db.session.scalar(select(Student).where(Student.registration_key == "stu001"))
    assert alice.class_id == existing.id and alice.date_of_birth == date(2008, 5, 15)
    assert alice.user.password_hash is None and alice.is_account_claimed is False
    created = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Class 11"))
    assert created.section is None and created.created_by == admin.id
    assert [c["id"] for c in body["classes_created"]] == [created.id]
    assert audit_actions() == ["students_imported"]


def test_the_failed_count_is_rows_not_messages(client):
    body = upload(client, make_admin(), HEADER + ",bad,,Class 10,,,\n").get_json()
    assert body["failed"] == 1 and body["imported"] == 0
    assert sorted(e["field"] for e in body["errors"]) == ["email", "name", "registration_number"]


def test_dry_run_reports_the_same_and_writes_nothing(client):
    admin = make_admin()
    make_class("Class 10", section="A", academic_year="2026-2027")
    for as_query in (False, True):
        with captured(events.student_added_to_class) as received:
            response = upload(client, admin, MIXED, dry_run=True, as_query=as_query)
        body = response.get_json()
        assert response.status_code == 200 and body["dry_run"] is True
        assert body["imported"] == 3 and body["failed"] == 3 and len(body["errors"]) == 4
        assert [c["name"] for c in body["classes_created"]] == ["Class 11"]
        assert all(s["claim_code"] is None for s in body["imported_students"])
        assert received == []
    assert student_count() == 0
    assert db.session.scalar(select(func.count()).select_from(User).where(User.role == "student")) == 0
    assert db.session.scalar(select(func.count()).select_from(SchoolClass)) == 1
    assert audit_actions() == []


def test_imported_claim_codes_are_stored_hashed_and_work(client):
    admin = make_admin()
    body = upload(client, admin, MIXED).get_json()
    first = body["imported_students"][0]
    stored = db.session.get(Student, first["id"])
    assert stored.claim_code_hash == hash_code(first["claim_code"])
    assert claim(client, first["registration_number"], first["claim_code"]).status_code == 200


def test_rows_already_in_the_database_are_reported(client):
    admin = make_admin()
    make_student(email="alice@school.test", registration_number="OLD1")
    make_student(email="someone@school.test", registration_number="stu002")
    body = upload(client, admin, MIXED).get_json()
    assert {(e["row"], e["field"], e["error"]) for e in body["errors"]} >= {
        (2, "email", "Already in the database"), (3, "registration_number", "Already in the database")}
    # Row 4 repeats row 2, which was refused: it is judged on its own.
    assert (4, "email", "Already in the database") in {(e["row"], e["field"], e["error"]) for e in body["errors"]}
    assert body["imported"] == 1


def test_bad_dates_and_long_values_are_row_errors(client):
    content = (HEADER + "A,a@school.test,R1,Class 10,,,15/05/2008\n"
               + "B,b@school.test,R2,Class 10,,,2999-01-01\n"
               + f"C,c@school.test,{'9' * 51},Class 10,,,\n")
    body = upload(client, make_admin(), content).get_json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (2, "date_of_birth"), (3, "date_of_birth"), (4, "registration_number")]
    assert body["errors"][0]["error"] == "Invalid date; use YYYY-MM-DD"


def test_headers_match_ignoring_case_and_spaces_and_events_fire_per_student(client):
    admin = make_admin()
    content = " Name , EMAIL ,Registration Number,class_name\nAna,ana@school.test,R9,Class 9\n"
    with captured(events.student_added_to_class) as received:
        body = upload(client, admin, content).get_json()
    assert body["imported"] == 1, body
    imported = body["imported_students"][0]
    assert received == [{"student_ids": [imported["id"]], "class_id": imported["class_id"], "actor_id": admin.id}]


def test_utf8_bom_and_latin1_files_keep_accents(client):
    admin = make_admin()
    bom = "\ufeffname,email,registration_number,class_name\nChloé Dubois,chloe@school.test,R1,Clásse 1\n"
    latin1 = "name,email,registration_number,class_name\nJosé Núñez,jose@school.test,R2,Clásse 1\n"
    assert upload(client, admin, bom.encode("utf-8")).get_json()["imported"] == 1
    assert upload(client, admin, latin1.encode("latin-1")).get_json()["imported"] == 1
    names = set(db.session.scalars(select(User.name).where(User.role == "student")))
    assert names == {"Chloé Dubois", "José Núñez"}
    assert db.session.scalar(select(func.count()).select_from(SchoolClass)) == 1


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_files_import_with_date_and_number_cells(client):
    content = xlsx([
        ["Name", "Email", "Registration Number", "Class Name", "Date of Birth"],
        ["Hana Sato", "hana@school.test", 20240001, "Class 10", datetime(2009, 1, 2)],
        ["Ivan Petrov", "ivan@school", 20240002, "Class 10", None],
    ])
    response = upload(client, make_admin(), content, filename="students.xlsx",
                      mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["imported"] == 1 and [(e["row"], e["field"]) for e in body["errors"]] == [(3, "email")]
    hana = db.session.scalar(select(Student).where(Student.registration_key == "20240001"))
    assert hana.date_of_birth == date(2009, 1, 2)


def test_upload_limits_and_types(client):
    admin = make_admin()
    assert_error(upload(client, admin, b""), 422)
    assert_error(upload(client, admin, b"\n\n"), 422)
    assert_error(upload(client, admin, HEADER), 422)
    assert_error(upload(client, admin, "colour,size\nred,9\n"), 422)
    missing = assert_error(upload(client, admin, "name,email\nA,a@school.test\n"), 422)
    assert "registration_number" in missing["details"]["file"][0]
    assert_error(upload(client, admin, b"%PDF-1.4", filename="students.pdf", mimetype="application/pdf"), 415)
    assert_error(upload(client, admin, b"PK\x03\x04binary\x00\x00", filename="students.csv"), 415)
    big = HEADER.encode() + b"x" * (16 * 1024 * 1024)
    assert_error(upload(client, admin, big), 413)
    assert_error(client.post("/api/students/bulk-import", data={}, headers=auth(admin),
                             content_type="multipart/form-data"), 422)
    assert student_count() == 0


def test_admin_matches_classes_by_name_and_reports_ambiguity(client):
    admin = make_admin()
    a = make_class("Class 12", section="A")
    make_class("Class 12", section="B")
    content = ("name,email,registration_number,class_name,section\n"
               "One,one@school.test,R1,class 12,a\n"
               "Two,two@school.test,R2,Class 12,\n")
    body = upload(client, admin, content).get_json()
    assert body["imported_students"][0]["class_id"] == a.id
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "class_name")]
    assert body["classes_created"] == []


def test_teacher_imports_only_into_their_classes_and_creates_none(client):
    mine, theirs = make_class("Class 10", section="A"), make_class("Class 10", section="B")
    teacher = make_teacher(classes=[mine])
    make_teacher(classes=[theirs])
    content = ("name,email,registration_number,class_name,section\n"
               "One,one@school.test,R1,Class 10,A\n"
               "Two,two@school.test,R2,Class 10,B\n"
               "Three,three@school.test,R3,Class 99,\n")
    body = upload(client, teacher, content).get_json()
    assert body["imported"] == 1 and body["imported_students"][0]["class_id"] == mine.id
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "class_name"), (4, "class_name")]
    assert db.session.scalar(select(func.count()).select_from(SchoolClass)) == 2


def test_students_cannot_import(client):
    student = make_student(make_class())
    assert_error(upload(client, student, MIXED), 403)


def test_import_never_hashes_a_password(client, monkeypatch):
    admin = make_admin()
    headers_ready = auth(admin)  # noqa: F841  (tokens issued before the trap is set)

    def refuse(*args, **kwargs):
        raise AssertionError("bcrypt must not run during an import")

    monkeypatch.setattr(bcrypt, "generate_password_hash", refuse)
    monkeypatch.setattr(bcrypt, "check_password_hash", refuse)
    assert upload(client, admin, MIXED).status_code == 200


def test_import_issues_the_same_statements_whatever_the_row_count(client, count_queries):
    """The import's own unit of work; listeners of the per-student event run after it, on their own."""
    admin = make_admin()
    make_class("Class 10")

    def run(first, size):
        rows = "".join(f"S{n},s{n}@school.test,R{n},Class 10\n" for n in range(first, first + size))
        with events.student_added_to_class.muted(), count_queries() as counted:
            body = upload(client, admin, "name,email,registration_number,class_name\n" + rows).get_json()
        assert body["imported"] == size
        return counted.count

    assert run(0, 3) == run(100, 80)


def test_listeners_that_commit_their_own_work_hear_every_imported_student(client):
    """Hundreds of events after one commit: each listener's own commit must not nest the rest."""
    from app.common.db import commit

    admin = make_admin()
    heard = []

    def committing_listener(sender, **payload):
        heard.extend(payload["student_ids"])
        commit()

    rows = "".join(f"S{n},s{n}@school.test,R{n},Class 10\n" for n in range(400))
    events.student_added_to_class.connect(committing_listener)
    try:
        body = upload(client, admin, "name,email,registration_number,class_name\n" + rows).get_json()
    finally:
        events.student_added_to_class.disconnect(committing_listener)
    assert body["imported"] == 400
    assert sorted(heard) == sorted(s["id"] for s in body["imported_students"])


def test_row_numbers_are_file_lines_even_around_blank_lines(client):
    content = ("\nname,email,registration_number,class_name\n"   # lines 1-2
               "A,a@school.test,R1,Class 10\n"                    # line 3
               "\n"                                               # line 4
               "B,not-an-email,R2,Class 10\n")                    # line 5
    body = upload(client, make_admin(), content).get_json()
    assert body["imported"] == 1 and body["total_rows"] == 2
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(5, "email")]


def test_import_errors_carry_message_and_the_deprecated_error(client):
    body = upload(client, make_admin(), MIXED).get_json()
    assert all(e["message"] == e["error"] for e in body["errors"]) and body["errors"]
