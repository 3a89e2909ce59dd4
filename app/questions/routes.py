"""/api/questions: the question bank of teachers (their own) and admins (all); seed 001 §5.7."""
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from app.common.apidoc import TEXT, XML, documents_errors, file_download
from app.common.authz import current_actor, get_visible_question, role_required
from app.common.clock import utcnow
from app.common.idempotency import idempotent
from app.common.pagination import PageQuerySchema, ordering_field, page_schema
from app.common.schemas import BaseSchema, MessageSchema
from app.questions import bulk, exporting, importing, services
from app.questions.media_routes import blp as media_blp
from app.questions.schemas import (
    BulkCreateResultSchema,
    BulkCreateSchema,
    ImportOptionsSchema,
    ImportResultSchema,
    QuestionCreateSchema,
    QuestionExportQuerySchema,
    QuestionFileImportOptionsSchema,
    QuestionFileImportResultSchema,
    QuestionListQuerySchema,
    QuestionSchema,
)

blp = Blueprint("questions", __name__, url_prefix="/api/questions", description="Question bank")
# `PUT /api/questions/{id}` is served by app.grading.routes: with "regrade" it marks answers again.
# `<uuid:…>` keeps `/bulk-create` and `/bulk-import` from also matching the item routes
# (which would answer GET there with 404 instead of 405 and list the wrong methods in Allow).
AUTHORS = ("admin", "teacher")
BLUEPRINTS = (blp, media_blp)  # the media routes: app.questions.media_routes


def _act_on_visible_question(action, question_id, *args):
    """`action(question, *args, actor=)` on a question the caller may see (404 otherwise)."""
    actor = current_actor()
    return action(get_visible_question(str(question_id), actor), *args, actor=actor)


class QuestionListQuery(PageQuerySchema, QuestionListQuerySchema):
    ordering = ordering_field(services.ORDERINGS)


class ImportFileSchema(BaseSchema):
    file = Upload()


QuestionPage = page_schema(QuestionSchema, "QuestionPage")


@blp.route("")
class Questions(MethodView):
    @blp.arguments(QuestionListQuery, location="query")
    @blp.response(200, QuestionPage)
    @role_required(*AUTHORS)
    def get(self, params):
        """List questions.

        Teachers see their own questions, admins all.
        """
        return services.list_questions(current_actor(), params)

    @blp.arguments(QuestionCreateSchema)
    @blp.response(201, QuestionSchema)
    @role_required(*AUTHORS)
    @idempotent
    def post(self, body):
        """Create a question."""
        return services.create_question(body, actor=current_actor())


@blp.route("/<uuid:question_id>")
class QuestionItem(MethodView):
    @blp.response(200, QuestionSchema)
    @role_required(*AUTHORS)
    def get(self, question_id):
        """Read one question, with its answer key."""
        return get_visible_question(str(question_id), current_actor())

    @blp.response(200, MessageSchema)
    @role_required(*AUTHORS)
    @documents_errors(409)
    def delete(self, question_id):
        """Delete a question.

        Refused with 409 when students have answered it; archive it instead.
        """
        _act_on_visible_question(services.delete_question, question_id)
        return {"message": "Question deleted"}


@blp.route("/<uuid:question_id>/archive", methods=["POST"])
@blp.response(200, QuestionSchema)
@role_required(*AUTHORS)
def archive_question(question_id):
    """Archive a question."""
    return _act_on_visible_question(services.archive_question, question_id)


@blp.route("/<uuid:question_id>/restore", methods=["POST"])
@blp.response(200, QuestionSchema)
@role_required(*AUTHORS)
def restore_question(question_id):
    """Restore an archived question."""
    return _act_on_visible_question(services.restore_question, question_id)


@blp.route("/<uuid:question_id>/duplicate", methods=["POST"])
@blp.response(201, QuestionSchema)
@role_required(*AUTHORS)
@idempotent
def duplicate_question(question_id):
    """Duplicate a question."""
    return _act_on_visible_question(services.duplicate_question, question_id)


@blp.route("/bulk-create", methods=["POST"])
@blp.arguments(BulkCreateSchema)
@blp.response(200, BulkCreateResultSchema)
@role_required(*AUTHORS)
@idempotent
def bulk_create(body):
    """Create several questions in one request.

    Each item is validated on its own; the result lists what was created and why the others failed.
    """
    return bulk.bulk_create(body, actor=current_actor())


@blp.route("/bulk-import", methods=["POST"])
@blp.arguments(ImportOptionsSchema, location="query", as_kwargs=False)
@blp.arguments(ImportOptionsSchema, location="form")
@blp.arguments(ImportFileSchema, location="files")
@blp.response(200, ImportResultSchema)
@role_required(*AUTHORS)
@idempotent
def bulk_import(query, form, files):
    """Import questions from a CSV or XLSX file.

    With `dry_run` nothing is stored and the report says what would be.
    """
    dry_run = query["dry_run"] or form["dry_run"]
    return bulk.import_questions(files.get("file"), actor=current_actor(), dry_run=dry_run)


@blp.route("/import", methods=["POST"])
@blp.arguments(QuestionFileImportOptionsSchema, location="query", as_kwargs=False)
@blp.arguments(QuestionFileImportOptionsSchema, location="form")
@blp.arguments(ImportFileSchema, location="files")
@blp.response(200, QuestionFileImportResultSchema)
@role_required(*AUTHORS)
@idempotent
def import_file(query, form, files):
    """Import a Moodle XML, GIFT, CSV/XLSX or JSON question file; options as form fields or query parameters."""
    return importing.import_question_file(
        files.get("file"), actor=current_actor(), fmt=form.get("format") or query.get("format"),
        dry_run=query["dry_run"] or form["dry_run"], topic=form.get("topic") or query.get("topic"), now=utcnow())


@blp.route("/export")
@blp.arguments(QuestionExportQuerySchema, location="query")
@blp.response(200, description="The questions as Moodle XML (application/xml) or GIFT (text/plain)")
@file_download(XML, TEXT)
@role_required(*AUTHORS)
def export_file(params):
    """Export the questions the list's filters select, the `ids` given, or one quiz's questions."""
    return exporting.export_questions(params, actor=current_actor())
