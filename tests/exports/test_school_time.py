"""People read times in the school's zone: XLSX real dates and PDFs (`SCHOOL_TIMEZONE`)."""
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from app.common.db import commit
from tests.exports.test_pdf_exports import attempt_pdf, pdf_text
from tests.factories import auth


@pytest.fixture
def paris(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHOOL_TIMEZONE", "Europe/Paris")


def pin_times(attempt, started: datetime, submitted: datetime) -> None:
    attempt.started_at, attempt.submitted_at = started, submitted
    commit()


def test_xlsx_writes_real_dates_in_school_time(client, known_quiz, paris):
    bruno = known_quiz["attempts"][1]
    pin_times(bruno, datetime(2026, 1, 15, 8, 30, 0), datetime(2026, 7, 15, 8, 45, 30))
    response = client.get(f"/api/exports/quiz/{known_quiz['quiz'].id}/results?format=xlsx",
                          headers=auth(known_quiz["teacher"]))
    workbook = load_workbook(io.BytesIO(response.data))
    rows = list(workbook.active.iter_rows())
    header = [c.value for c in rows[0]]
    row = next(r for r in rows if r[0].value == "Bruno Díaz")
    started, submitted = row[header.index("Started At")], row[header.index("Submitted At")]
    assert started.value == datetime(2026, 1, 15, 9, 30, 0)     # winter: UTC+1
    assert submitted.value == datetime(2026, 7, 15, 10, 45, 30)  # summer: UTC+2
    assert started.is_date and started.number_format == "yyyy-mm-dd hh:mm:ss"
    assert workbook.properties.description == "Times in Europe/Paris"


def test_csv_keeps_utc_text_for_programs(client, known_quiz, paris):
    bruno = known_quiz["attempts"][1]
    pin_times(bruno, datetime(2026, 1, 15, 8, 30, 0), datetime(2026, 1, 15, 8, 45, 0, 250000))
    text = client.get(f"/api/exports/quiz/{known_quiz['quiz'].id}/results",
                      headers=auth(known_quiz["teacher"])).data.decode()
    assert "2026-01-15T08:30:00Z" in text and "2026-01-15T08:45:00.250Z" in text


def test_a_pdf_shows_school_time_with_its_zone(client, known_quiz, paris):
    bruno = known_quiz["attempts"][1]
    pin_times(bruno, datetime(2026, 1, 15, 8, 30), datetime(2026, 1, 15, 8, 45))
    text = pdf_text(attempt_pdf(client, known_quiz["teacher"], bruno))
    assert "15 Jan 2026, 09:30 CET" in text and "15 Jan 2026, 09:45 CET" in text
    assert "UTC" not in text


def test_a_pdf_in_the_default_zone_says_utc(client, known_quiz):
    bruno = known_quiz["attempts"][1]
    pin_times(bruno, datetime(2026, 1, 15, 8, 30), datetime(2026, 1, 15, 8, 45))
    assert "15 Jan 2026, 08:30 UTC" in pdf_text(attempt_pdf(client, known_quiz["teacher"], bruno))


def test_an_unknown_school_zone_stops_the_app_at_start():
    from app import create_app

    with pytest.raises(RuntimeError, match="SCHOOL_TIMEZONE"):
        create_app("testing", {"SCHOOL_TIMEZONE": "Mars/Olympus_Mons"})
