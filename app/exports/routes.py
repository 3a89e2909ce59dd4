"""/api/exports and /api/analytics/quiz/{id}/export: results, attempt PDFs, quiz reports (seed 001 §5.12).

`GET /api/exports/students` belongs to the students package. The quiz report keeps its
address under /api/analytics, while the code that renders it lives here."""
from flask_smorest import Blueprint

from app.common.apidoc import CSV, PDF, XLSX, file_download
from app.common.authz import current_actor, get_managed_quiz, get_visible_attempt, role_required
from app.common.clock import utcnow
from app.exports import services
from app.exports.results import results_download
from app.exports.schemas import AnalyticsCsvExportQuerySchema, AnalyticsExportQuerySchema, ResultsExportQuerySchema

blp = Blueprint("exports", __name__, url_prefix="/api", description="Exports and printable reports")


@blp.route("/exports/quiz/<string:quiz_id>/results")
@blp.arguments(ResultsExportQuerySchema, location="query")
@blp.response(200, description="One row per attempt (CSV or XLSX)")
@file_download(CSV, XLSX)
@role_required("admin", "teacher")
def quiz_results(params, quiz_id):
    """Download a quiz's results (CSV or XLSX).

    One row per attempt; spreadsheet formulas in cells are neutralised.
    """
    quiz = get_managed_quiz(quiz_id, current_actor())
    return results_download(quiz, params["format"], include_reset=params["include_reset"], now=utcnow())


@blp.route("/exports/attempts/<string:attempt_id>/pdf")
@blp.response(200, description="The attempt as a PDF")
@file_download(PDF)
@role_required("admin", "teacher", "student")
def attempt_pdf(attempt_id):
    """Download an attempt as a PDF.

    For the quiz's teacher, an admin, or the student who made the attempt.
    """
    actor = current_actor()
    return services.attempt_download(get_visible_attempt(attempt_id, actor), actor=actor, now=utcnow())


@blp.route("/exports/analytics/<string:quiz_id>")
@blp.arguments(AnalyticsExportQuerySchema, location="query")
@blp.response(200, description="The quiz report as PDF (default) or CSV")
@file_download(PDF, CSV)
@role_required("admin", "teacher")
def analytics(params, quiz_id):
    """Download a quiz's analytics report (PDF or CSV)."""
    return services.analytics_download(get_managed_quiz(quiz_id, current_actor()), params["format"], now=utcnow())


@blp.route("/analytics/quiz/<string:quiz_id>/export")
@blp.arguments(AnalyticsCsvExportQuerySchema, location="query")
@blp.response(200, description="The quiz report as CSV (per-question table) or PDF")
@file_download(CSV, PDF)
@blp.doc(tags=["analytics"])
@role_required("admin", "teacher")
def analytics_export(params, quiz_id):
    """Download a quiz's analytics report (alias).

    The same report as `GET /api/exports/analytics/{quiz_id}`.
    """
    return services.analytics_download(get_managed_quiz(quiz_id, current_actor()), params["format"], now=utcnow())
