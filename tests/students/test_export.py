import csv
import io

import pytest
from openpyxl import load_workbook

from tests.factories import auth, make_student
from tests.helpers import assert_error

URLS = ("/api/students/export", "/api/exports/students")


@pytest.fixture
def roll(school):
    """The shared school's students (one claimed in each class) plus the ones an export
    must treat with care: an unclaimed one whose name is a spreadsheet formula, in class
    B, and one in no class."""
    make_student(school.class_b, name="=HYPERLINK(\"http://evil\")", registration_number="STU002", claimed=False)
    make_student(None, name="Nadia Free", registration_number="STU003")
    return school


def rows_of(response) -> list[dict]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("url", URLS)
def test_csv_export_lists_students_with_claim_status_and_escapes_formulas(client, roll, url):
    response = client.get(url, headers=auth(roll.admin))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="students_') and disposition.endswith('.csv"')
    rows = {row["Registration Number"]: row for row in rows_of(response)}
    assert set(rows) == {"STU2024001", "STU2024002", "STU002", "STU003"}
    assert rows["STU2024001"]["Account Claimed"] == "yes" and rows["STU002"]["Account Claimed"] == "no"
    assert rows["STU2024001"]["Class"] == "Class 10" and rows["STU2024001"]["Section"] == "A"
    assert rows["STU003"]["Class"] == "Unassigned"
    assert rows["STU002"]["Name"] == "'=HYPERLINK(\"http://evil\")"


def test_export_filters_by_class(client, roll):
    response = client.get(f"/api/students/export?class_id={roll.class_b.id}", headers=auth(roll.admin))
    assert sorted(row["Registration Number"] for row in rows_of(response)) == ["STU002", "STU2024002"]


def test_xlsx_export_is_a_workbook(client, roll):
    response = client.get("/api/exports/students?format=xlsx", headers=auth(roll.admin))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Name", "Email", "Registration Number")
    assert len(values) == 5
    assert "'=HYPERLINK(\"http://evil\")" in [row[0] for row in values]


@pytest.mark.parametrize("url", URLS)
def test_teacher_exports_only_their_classes(client, roll, url):
    teacher = roll.teacher_a
    response = client.get(url, headers=auth(teacher))
    assert [row["Registration Number"] for row in rows_of(response)] == ["STU2024001"]
    assert_error(client.get(f"{url}?class_id={roll.class_b.id}", headers=auth(teacher)), 404)


def test_export_refuses_students_and_unknown_formats(client, roll):
    assert_error(client.get("/api/exports/students", headers=auth(roll.student_a)), 403)
    assert_error(client.get("/api/students/export?format=pdf", headers=auth(roll.admin)), 422)
