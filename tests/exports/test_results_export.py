import csv
import io

from openpyxl import load_workbook

from app.common.db import commit
from tests.factories import auth, make_admin, make_teacher
from tests.helpers import assert_error


def read_csv(response):
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_results_csv_has_one_row_per_attempt(client, known_quiz):
    quiz = known_quiz["quiz"]
    response = client.get(f"/api/exports/quiz/{quiz.id}/results", headers=auth(known_quiz["teacher"]))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    assert response.headers["Content-Disposition"].startswith('attachment; filename="quiz_results_term_1_algebra_')
    assert response.headers["Content-Disposition"].endswith('.csv"')
    rows = read_csv(response)
    assert rows[0][:8] == ["Student Name", "Registration Number", "Class", "Quiz Title", "Attempt Number",
                           "Score", "Total Marks", "Percentage"]
    by_name = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {"Alice Martin", "Bruno Díaz", "Chloé Durand", "أحمد علي", "Eve Running"}
    bruno = by_name["Bruno Díaz"]
    assert (bruno["Score"], bruno["Total Marks"], bruno["Percentage"]) == ("5.0", "8", "62.5")
    assert (bruno["Status"], bruno["Passed"], bruno["Class"]) == ("graded", "yes", "Year 9 B")
    assert by_name["Alice Martin"]["Violations"] == "2"
    assert by_name["Eve Running"]["Status"] == "in_progress" and by_name["Eve Running"]["Passed"] == ""


def test_results_can_include_reset_attempts(client, known_quiz):
    response = client.get(f"/api/exports/quiz/{known_quiz['quiz'].id}/results?include_reset=true",
                          headers=auth(known_quiz["teacher"]))
    rows = read_csv(response)
    reset_rows = [r for r in rows[1:] if r[0] == "Fay Reset"]
    assert len(rows) == 7 and reset_rows and dict(zip(rows[0], reset_rows[0], strict=True))["Reset"] == "yes"


def test_results_xlsx_opens_with_the_same_rows(client, known_quiz):
    response = client.get(f"/api/exports/quiz/{known_quiz['quiz'].id}/results?format=xlsx",
                          headers=auth(make_admin()))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.values)
    assert values[0][0] == "Student Name" and len(values) == 6
    alice = next(v for v in values if v[0] == "Alice Martin")
    assert alice[5] == 8 and alice[7] == 100


def test_results_escape_spreadsheet_formulas(client, known_quiz):
    student = known_quiz["students"][0]
    student.name = "=HYPERLINK(\"http://evil\",\"x\")"
    known_quiz["quiz"].title = "+cmd|' /C calc'!A0"
    commit()
    response = client.get(f"/api/exports/quiz/{known_quiz['quiz'].id}/results",
                          headers=auth(known_quiz["teacher"]))
    assert response.headers["Content-Disposition"].startswith('attachment; filename="quiz_results_cmd_c_calc_a0_')
    rows = read_csv(response)
    evil = next(r for r in rows if "HYPERLINK" in r[0])
    assert evil[0].startswith("'=") and evil[3].startswith("'+")
    xlsx = client.get(f"/api/exports/quiz/{known_quiz['quiz'].id}/results?format=xlsx",
                      headers=auth(known_quiz["teacher"]))
    cells = [v for row in load_workbook(io.BytesIO(xlsx.data)).active.values for v in row if isinstance(v, str)]
    assert not any(c.startswith(("=", "+")) for c in cells)


def test_results_export_visibility_and_format(client, known_quiz):
    path = f"/api/exports/quiz/{known_quiz['quiz'].id}/results"
    assert_error(client.get(path, headers=auth(make_teacher())), 404)
    assert_error(client.get(path, headers=auth(known_quiz["students"][0])), 403)
    assert_error(client.get(path), 401)
    assert_error(client.get(path + "?format=pdf", headers=auth(known_quiz["teacher"])), 422)


def test_results_export_query_count_is_constant(client, known_quiz, count_queries):
    from decimal import Decimal

    from tests.analytics.conftest import finish
    from tests.factories import make_answer, make_attempt, make_student
    headers, path = auth(known_quiz["teacher"]), f"/api/exports/quiz/{known_quiz['quiz'].id}/results"
    with count_queries() as before:
        client.get(path, headers=headers)
    for _ in range(5):
        attempt = make_attempt(known_quiz["quiz"], make_student(known_quiz["cls"]), status="submitted")
        make_answer(attempt, known_quiz["questions"][0], option=1, marks_awarded=Decimal(2))
        finish(attempt, known_quiz["quiz"])
    with count_queries() as after:
        assert len(read_csv(client.get(path, headers=headers))) == 11
    assert after.count == before.count
