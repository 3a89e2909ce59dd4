"""Uploaded tables are measured before they are parsed, on both imports.

The workbooks are real files: openpyxl writes them and, for the ones that lie, their
sheet XML is rewritten inside the zip as an attacker would.
"""
import io
import re
import time
import zipfile
from datetime import date, datetime
from datetime import time as time_of_day

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.classes.models import SchoolClass
from app.extensions import db
from app.questions.bulk import IMPORT_COLUMNS
from app.questions.models import Question
from app.students.importing import COLUMNS
from app.students.models import Student
from tests.factories import auth, make_admin
from tests.helpers import assert_error

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STUDENT_HEADER = ["name", "email", "registration_number", "class_name"]
QUESTION_HEADER = ["text", "type", "marks", "options", "correct_answer"]
IMPORTS = {
    "students": ("/api/students/bulk-import", STUDENT_HEADER, "STUDENT_IMPORT_MAX_ROWS"),
    "questions": ("/api/questions/bulk-import", QUESTION_HEADER, "QUESTION_IMPORT_MAX_ROWS"),
}


def student_row(n: int) -> list:
    return [f"Student {n}", f"student{n}@school.test", f"REG{n:05d}", "Class 10"]


def question_row(n: int) -> list:
    return [f"Question {n}?", "mcq", 2, "A|B|C", 1]


ROWS = {"students": student_row, "questions": question_row}


def workbook(rows: list[list], *, cells: dict | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for (row, column), value in (cells or {}).items():
        sheet.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(content: bytes, change) -> bytes:
    """The workbook with its sheet XML passed through `change` (bytes → bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            body = source.read(member.filename)
            if member.filename.startswith("xl/worksheets/"):
                body = change(body)
            target.writestr(member, body)
    return out.getvalue()


def declaring(ref: str | None):
    """A change that declares the dimension `ref`, or none at all."""
    replacement = b"" if ref is None else f'<dimension ref="{ref}"/>'.encode()
    return lambda body: re.sub(rb'<dimension ref="[^"]*"\s*/>', replacement, body)


def reaching_xfd(kind: str, rows: int) -> bytes:
    """A workbook of `rows` good rows, each of which also touches the last column, XFD."""
    make = ROWS[kind]
    return workbook([IMPORTS[kind][1]] + [make(n) for n in range(rows)],
                    cells={(row, 16384): 1 for row in range(2, rows + 2)})


def upload(client, kind: str, content: bytes, *, name="table.xlsx", mimetype=XLSX_MIME, headers=None):
    return client.post(f"{IMPORTS[kind][0]}?dry_run=true", headers=headers or auth(make_admin()),
                       content_type="multipart/form-data", data={"file": (io.BytesIO(content), name, mimetype)})


def timed_upload(client, kind: str, content: bytes, **kw):
    """The response, and the seconds the request took (the caller's token made beforehand)."""
    headers = auth(make_admin())
    started = time.perf_counter()
    response = upload(client, kind, content, headers=headers, **kw)
    return response, time.perf_counter() - started


def nothing_written() -> bool:
    return not any(db.session.scalar(select(func.count()).select_from(model))
                   for model in (Student, Question, SchoolClass))


@pytest.fixture
def row_cap(app, monkeypatch):
    """Sets both imports' row caps for one test."""
    def set_cap(rows: int) -> None:
        for _url, _header, setting in IMPORTS.values():
            monkeypatch.setitem(app.config, setting, rows)
    return set_cap


@pytest.mark.parametrize("kind", IMPORTS)
@pytest.mark.parametrize("dimension", ["as written", "none", "a small lie"])
def test_a_10_kb_workbook_reaching_column_xfd_is_refused_in_under_a_second(client, kind, dimension):
    content = reaching_xfd(kind, 200)
    if dimension == "none":
        content = rewrite_sheet(content, declaring(None))
    elif dimension == "a small lie":
        content = rewrite_sheet(content, declaring("A1:E3"))
    assert len(content) <= 10 * 1024
    response, elapsed = timed_upload(client, kind, content)
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert body["details"]["file"] == ["16384 columns; the limit is 50. Delete the columns the import does not use."]
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert nothing_written()


@pytest.mark.parametrize("kind", IMPORTS)
def test_a_declared_dimension_beyond_the_limits_is_refused_before_any_cell_is_read(client, kind, row_cap):
    row_cap(5)
    small = workbook([IMPORTS[kind][1], ROWS[kind](1)])
    too_wide = assert_error(upload(client, kind, rewrite_sheet(small, declaring("A1:AY2"))), 422)
    assert too_wide["details"]["file"][0].startswith("51 columns; the limit is 50.")
    too_long = assert_error(upload(client, kind, rewrite_sheet(small, declaring("A1:E7"))), 422)
    assert too_long["message"] == "At most 5 rows per file"
    assert upload(client, kind, rewrite_sheet(small, declaring("A1:AX6"))).status_code == 200


@pytest.mark.parametrize("kind", IMPORTS)
def test_the_row_cap_counts_rows_after_the_header_up_to_the_last_one_holding_a_value(client, kind, row_cap):
    row_cap(3)
    make, header = ROWS[kind], IMPORTS[kind][1]
    three = [header, make(1), [None, "   "], make(2)]
    assert upload(client, kind, workbook(three)).get_json()["total_rows"] == 2
    body = assert_error(upload(client, kind, workbook(three + [make(3)])), 422)
    assert body["message"] == "At most 3 rows per file"
    assert body["details"]["file"] == ["More than 3 rows after the header; the limit is 3."]
    assert nothing_written()


@pytest.mark.parametrize("kind", IMPORTS)
def test_a_lone_row_at_the_bottom_of_the_sheet_behind_a_lying_dimension_is_refused_at_once(client, app, kind):
    cap = app.config[IMPORTS[kind][2]]
    content = workbook([IMPORTS[kind][1], ROWS[kind](1)], cells={(1_048_576, 1): "far below"})
    response, elapsed = timed_upload(client, kind, rewrite_sheet(content, declaring("A1:E2")))
    assert assert_error(response, 422)["message"] == f"At most {cap} rows per file"
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def csv_bytes(rows: list[list]) -> bytes:
    return "\n".join(",".join(str(value) for value in row) for row in rows).encode() + b"\n"


@pytest.mark.parametrize("kind", IMPORTS)
def test_csv_gets_the_same_row_and_column_caps(client, kind, row_cap):
    row_cap(3)
    make, header = ROWS[kind], IMPORTS[kind][1]
    as_csv = {"name": "table.csv", "mimetype": "text/csv"}
    assert upload(client, kind, csv_bytes([header, make(1), [], make(2), [], []]), **as_csv
                  ).get_json()["total_rows"] == 2
    too_long = assert_error(upload(client, kind, csv_bytes([header, make(1), [], make(2), make(3)]), **as_csv), 422)
    assert too_long["message"] == "At most 3 rows per file"
    too_wide = assert_error(upload(client, kind, csv_bytes([header, make(1) + [""] * 50]), **as_csv), 422)
    assert too_wide["details"]["file"][0].startswith(f"{len(make(1)) + 50} columns; the limit is 50.")
    assert nothing_written()


@pytest.mark.parametrize("kind", IMPORTS)
def test_a_csv_of_rows_16384_fields_wide_is_refused_in_under_a_second(client, kind):
    row = ROWS[kind](1)
    line = ",".join(str(value) for value in row) + "," * (16384 - len(row))
    content = "\n".join([",".join(IMPORTS[kind][1])] + [line] * 500).encode()
    response, elapsed = timed_upload(client, kind, content, name="table.csv", mimetype="text/csv")
    assert assert_error(response, 422)["details"]["file"][0].startswith("16384 columns; the limit is 50.")
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_a_workbook_declaring_more_unpacked_bytes_than_the_limit_is_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_UNPACKED_MB", 1)
    long_text = "x" * 30_000
    content = workbook([STUDENT_HEADER] + [[f"{long_text}{n}", f"s{n}@school.test", f"R{n}", "C"] for n in range(40)])
    body = assert_error(upload(client, "students", content), 422)
    assert body["message"] == "The workbook unpacks to more than 1 MB"
    assert body["details"]["file"][0].endswith("MB; the limit is 1 MB.")
    assert nothing_written()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_pandas_builds_only_the_import_columns(app, fmt):
    from app.common.uploads import Limits, _csv_frame, _xlsx_frame

    rows = [QUESTION_HEADER + ["notes", "colour"]] + [question_row(n) + ["a note", "red"] for n in range(3)] + [[]]
    limits = Limits(max_rows=10, max_columns=50)
    if fmt == "xlsx":
        frame = _xlsx_frame(workbook(rows), IMPORT_COLUMNS, limits)
    else:
        frame, _first_row = _csv_frame(csv_bytes(rows), IMPORT_COLUMNS, limits)
    assert list(frame.columns) == QUESTION_HEADER and len(frame) == 3


def test_a_workbook_within_the_limits_reads_exactly_as_pandas_reads_it(app):
    """The rows are read once, by openpyxl, for measuring and parsing alike: the table
    must be the one `pd.read_excel` makes of the same file, cell types and gaps included."""
    from app.common.uploads import Limits, _xlsx_frame, normalise_header

    content = workbook([
        ["Name", "Email", "Registration Number", "Class", "Date of Birth", "name", "Unused", None, 7],
        ["Hana", "hana@school.test", 20240001, "Class 10", datetime(2009, 1, 2), "dup", "x"],
        [], [None, "   ", None, None, None],
        ["Ivan", "#N/A", 2.5, True, date(2010, 3, 4), None, None, None, 1.0],
        ["Jun", 0, -3.0, False, time_of_day(10, 30), "=1+1"],
        [None, None, None, None, None, None, None, "far right"],
    ], cells={(9, 2): "below a gap"})
    wanted = COLUMNS | {"unused": "unused", "7": "seven"}
    ours = _xlsx_frame(content, wanted, Limits(max_rows=50, max_columns=50))
    theirs = pd.read_excel(io.BytesIO(content), dtype=str, keep_default_na=False, engine="openpyxl",
                           usecols=lambda header: normalise_header(header) in wanted)
    pd.testing.assert_frame_equal(ours, theirs)
    assert len(ours) == 8


@pytest.mark.parametrize("kind", IMPORTS)
def test_the_documented_default_row_caps_hold(client, app, kind):
    cap = app.config[IMPORTS[kind][2]]
    assert cap == {"students": 5000, "questions": 2000}[kind]
    make = ROWS[kind]
    content = csv_bytes([IMPORTS[kind][1]] + [make(n) for n in range(cap + 1)])
    body = assert_error(upload(client, kind, content, name="table.csv", mimetype="text/csv"), 422)
    assert body["details"]["file"] == [f"More than {cap} rows after the header; the limit is {cap}."]
    assert nothing_written()
