"""/api/students and /api/exports/students (seed 001 §5.3, §5.12; seed 002 §9).

Admins manage every student; a teacher manages the students of the classes they
teach (another teacher's student is "not found"). Students are refused (403).
"""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.apidoc import CSV, XLSX, documents_errors, file_download
from app.common.authz import current_actor, get_visible_student, role_required
from app.common.clock import utcnow
from app.common.idempotency import idempotent
from app.common.pagination import PageQuerySchema, ordering_field, page_schema
from app.common.spreadsheets import table_response
from app.students import accommodations, importing, queries, schemas, services

blp = Blueprint("students", __name__, url_prefix="/api", description="Students: management, import, export")
STAFF = ("admin", "teacher")


class StudentListQuery(PageQuerySchema, schemas.StudentListQuerySchema):
    ordering = ordering_field(services.ORDERINGS)


StudentPage = page_schema(schemas.StudentSchema, "StudentPage")


def _act_on_visible_student(action, student_id: str, *args):
    """`action(student, *args, actor=)` on a student the caller may manage (404 otherwise)."""
    actor = current_actor()
    return action(get_visible_student(student_id, actor), *args, actor=actor)


@blp.route("/students")
class Students(MethodView):
    @blp.arguments(StudentListQuery, location="query")
    @blp.response(200, StudentPage)
    @role_required(*STAFF)
    def get(self, params):
        """List students.

        Teachers see the students of their classes.
        """
        return services.list_students(current_actor(), params)

    @blp.arguments(schemas.StudentCreateSchema)
    @blp.response(201, schemas.StudentWithCodeSchema)
    @role_required(*STAFF)
    @documents_errors(409)
    @idempotent
    def post(self, body):
        """Create a student.

        The response carries the one-time `claim_code` the student needs to claim the account.
        """
        return services.create_student(body, actor=current_actor())


@blp.route("/students/<string:student_id>")
class StudentItem(MethodView):
    @blp.response(200, schemas.StudentSchema)
    @role_required(*STAFF)
    def get(self, student_id):
        """Read one student."""
        return get_visible_student(student_id, current_actor())

    @blp.arguments(schemas.StudentUpdateSchema)
    @blp.response(200, schemas.StudentSchema)
    @role_required(*STAFF)
    @documents_errors(409)
    def put(self, body, student_id):
        """Update a student."""
        return _act_on_visible_student(services.update_student, student_id, body)

    @blp.response(200, schemas.StudentDeletedSchema)
    @role_required(*STAFF)
    def delete(self, student_id):
        """Deactivate a student.

        A soft delete: `POST /api/students/{student_id}/restore` undoes it.
        """
        return _act_on_visible_student(services.deactivate_student, student_id)


@blp.route("/students/<string:student_id>/restore", methods=["POST"])
@blp.response(200, schemas.StudentSchema)
@role_required(*STAFF)
@documents_errors(409)
def restore_student(student_id):
    """Reactivate a deactivated student."""
    return _act_on_visible_student(services.restore_student, student_id)


@blp.route("/students/<string:student_id>/regenerate-claim-code", methods=["POST"])
@blp.response(200, schemas.StudentWithCodeSchema)
@role_required(*STAFF)
@documents_errors(409)
def regenerate_claim_code(student_id):
    """Issue a new claim code for an unclaimed student.

    The previous code stops working.
    """
    return _act_on_visible_student(services.regenerate_claim_code, student_id)


@blp.route("/students/bulk-import", methods=["POST"])
@blp.arguments(schemas.StudentImportFileSchema, location="files")
@blp.arguments(schemas.StudentImportOptionsSchema, location="form")
@blp.arguments(schemas.StudentImportOptionsSchema, location="query")
@blp.response(200, schemas.StudentImportResultSchema)
@role_required(*STAFF)
@documents_errors(409)
@idempotent
def bulk_import(files, form, query):
    """Import students from CSV/XLSX (`dry_run` as a form field or query parameter)."""
    dry_run = form["dry_run"] or query["dry_run"]
    return importing.import_students(files["file"], actor=current_actor(), dry_run=dry_run)


def _export(params):
    rows = queries.student_rows(current_actor(), params)
    return table_response(queries.HEADERS, rows, fmt=params["format"], sheet_title="Students",
                          basename=f"students_{utcnow():%Y%m%d_%H%M%S}")


@blp.route("/students/export")
@blp.arguments(schemas.StudentExportQuerySchema, location="query")
@blp.response(200, description="CSV (or XLSX with format=xlsx) download")
@file_download(CSV, XLSX)
@role_required(*STAFF)
def export_students(params):
    """Download the student list (CSV or XLSX)."""
    return _export(params)


@blp.route("/exports/students")
@blp.arguments(schemas.StudentExportQuerySchema, location="query")
@blp.response(200, description="CSV (or XLSX with format=xlsx) download")
@file_download(CSV, XLSX)
@role_required(*STAFF)
def export_students_alias(params):
    """Download the student list (alias).

    The same file as `GET /api/students/export`.
    """
    return _export(params)


@blp.route("/students/<string:student_id>/accommodations")
class StudentAccommodations(MethodView):
    @blp.response(200, schemas.AccommodationSchema)
    @role_required(*STAFF)
    def get(self, student_id):
        """Read a student's extra-time accommodation

        Admins and the student's teachers; another teacher's student is "not found".
        A student with no accommodation reads 0 % and 0 minutes.
        """
        return accommodations.get_accommodation(get_visible_student(student_id, current_actor()))

    @blp.arguments(schemas.AccommodationInSchema)
    @blp.response(200, schemas.AccommodationSchema)
    @role_required(*STAFF)
    def put(self, body, student_id):
        """Set a student's extra-time accommodation

        Applies to every timed quiz the student starts from now on:
        limit × (1 + percent / 100) + minutes, rounded up to the minute. Audited.
        """
        actor = current_actor()
        return accommodations.set_accommodation(get_visible_student(student_id, actor), body, actor=actor)
