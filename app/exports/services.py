"""Downloads: the quiz report (PDF or CSV) and an attempt PDF."""
from flask import Response

from app.analytics.services import quiz_analytics
from app.common.spreadsheets import download, table_response
from app.exports.analytics_report import CSV_HEADERS, analytics_pdf, csv_rows
from app.exports.attempt_pdf import attempt_pdf
from app.exports.results import slug

PDF_MIME = "application/pdf"


def analytics_download(quiz, fmt: str, *, now) -> Response:
    report = quiz_analytics(quiz, now=now)
    basename = f"quiz_analytics_{slug(quiz.title)}_{now:%Y%m%d}"
    if fmt == "pdf":
        return download(analytics_pdf(report, now=now), f"{basename}.pdf", PDF_MIME)
    return table_response(CSV_HEADERS, csv_rows(report), fmt="csv", basename=basename)


def attempt_download(attempt, *, actor, now) -> Response:
    content, filename = attempt_pdf(attempt, actor=actor, now=now)
    return download(content, filename, PDF_MIME)
