"""/api/quizzes: authoring for teachers and admins, the student's view of their class's quizzes.

Seed 001 §5.6 except `POST /api/quizzes/{id}/start`, which belongs to the attempts
blueprint. Reading endpoints answer every role, each with its own schema: a student
never gets the teacher's schema, not even with fields removed.
"""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.apidoc import component_name, documents_errors
from app.common.authz import (
    current_actor,
    get_managed_override,
    get_managed_quiz,
    get_visible_quiz,
    get_visible_quiz_by_code,
    role_required,
)
from app.common.clock import utcnow
from app.common.idempotency import idempotent
from app.common.pagination import PageQuerySchema, ordering_field, page_schema
from app.common.schemas import MessageSchema
from app.quizzes import overrides, queries, services
from app.quizzes.schemas import (
    STAFF_VIEW,
    STUDENT_VIEW,
    OverrideCreateSchema,
    OverrideSchema,
    OverrideUpdateSchema,
    PublishResultSchema,
    QuizCreateSchema,
    QuizDetailSchema,
    QuizListItemSchema,
    QuizListQuerySchema,
    QuizUpdateSchema,
    StudentQuizSchema,
)

blp = Blueprint("quizzes", __name__, url_prefix="/api/quizzes", description="Quizzes")
AUTHORS = ("admin", "teacher")
ROLE_VIEWS = ("QuizDetail for admins and teachers (answer keys included); "
              "StudentQuiz for students (no questions, no answer keys, their own attempts).")


class QuizListQuery(PageQuerySchema, QuizListQuerySchema):
    ordering = ordering_field(queries.ORDERINGS)


QuizPage = page_schema(QuizListItemSchema, "QuizPage", view=STAFF_VIEW)
OverridePage = page_schema(OverrideSchema, "OverridePage")


class OverrideListQuery(PageQuerySchema):
    ordering = ordering_field(overrides.ORDERINGS)
StudentQuizPage = page_schema(StudentQuizSchema, "StudentQuizPage", view=STUDENT_VIEW)


def role_views(description: str, staff, student) -> dict:
    """OpenAPI for a response whose schema depends on the caller's role: one of two
    representations, told apart by their `view`."""
    names = {STAFF_VIEW: component_name(staff), STUDENT_VIEW: component_name(student)}
    schema = {"oneOf": [staff, student], "discriminator": {
        "propertyName": "view", "mapping": {view: f"#/components/schemas/{name}" for view, name in names.items()}}}
    return {"responses": {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}}


def quiz_for_role(quiz, actor) -> dict:
    if actor.is_student:
        return StudentQuizSchema().dump(queries.student_view(quiz, actor.id, now=utcnow()))
    return QuizDetailSchema().dump(queries.load_detail(quiz))


@blp.route("")
class Quizzes(MethodView):
    @blp.arguments(QuizListQuery, location="query")
    @blp.response(200)
    @blp.doc(**role_views("QuizPage for admins and teachers, StudentQuizPage for students.", QuizPage, StudentQuizPage))
    @role_required()
    def get(self, params):
        """List quizzes.

        Teachers see their own, admins all, students the published quizzes of their class (with their
        effective settings).
        """
        actor = current_actor()
        page = queries.list_quizzes(actor, params, now=utcnow())
        return (StudentQuizPage if actor.is_student else QuizPage)().dump(page)

    @blp.arguments(QuizCreateSchema)
    @blp.response(201, QuizDetailSchema)
    @role_required(*AUTHORS)
    @documents_errors(409)
    @idempotent
    def post(self, body):
        """Create a quiz."""
        return services.create_quiz(body, actor=current_actor())


@blp.route("/<string:quiz_id>")
class QuizItem(MethodView):
    @blp.response(200)
    @blp.doc(**role_views(ROLE_VIEWS, QuizDetailSchema, StudentQuizSchema))
    @role_required()
    def get(self, quiz_id):
        """Read one quiz.

        Teachers and admins get the questions with their answer keys; students get the student view, without
        answer keys.
        """
        actor = current_actor()
        return quiz_for_role(get_visible_quiz(quiz_id, actor), actor)

    @blp.arguments(QuizUpdateSchema)
    @blp.response(200, QuizDetailSchema)
    @role_required(*AUTHORS)
    @documents_errors(409)
    def put(self, body, quiz_id):
        """Update a quiz."""
        actor = current_actor()
        return services.update_quiz(get_managed_quiz(quiz_id, actor), body, actor=actor, now=utcnow())

    @blp.response(200, MessageSchema)
    @role_required(*AUTHORS)
    @documents_errors(409)
    def delete(self, quiz_id):
        """Delete a quiz.

        Refused with 409 when the quiz has attempts; archive it instead.
        """
        actor = current_actor()
        services.delete_quiz(get_managed_quiz(quiz_id, actor), actor=actor)
        return {"message": "Quiz deleted"}


@blp.route("/access/<string:access_code>")
@blp.response(200)
@blp.doc(**role_views(ROLE_VIEWS, QuizDetailSchema, StudentQuizSchema))
@role_required()
def quiz_by_access_code(access_code):
    """Find a quiz by its access code."""
    actor = current_actor()
    return quiz_for_role(get_visible_quiz_by_code(access_code, actor), actor)


@blp.route("/<string:quiz_id>/publish", methods=["POST"])
@blp.response(200, PublishResultSchema)
@role_required(*AUTHORS)
@documents_errors(409)
def publish_quiz(quiz_id):
    """Publish a quiz.

    Refused with 409 and per-field reasons when the quiz is not ready (no questions, no class, a bad window).
    """
    actor = current_actor()
    quiz = services.publish_quiz(get_managed_quiz(quiz_id, actor), actor=actor, now=utcnow())
    return {"message": "Quiz published", "access_code": quiz.access_code}


@blp.route("/<string:quiz_id>/archive", methods=["POST"])
@blp.response(200, MessageSchema)
@role_required(*AUTHORS)
@documents_errors(409)
def archive_quiz(quiz_id):
    """Archive a quiz."""
    actor = current_actor()
    services.archive_quiz(get_managed_quiz(quiz_id, actor), actor=actor)
    return {"message": "Quiz archived"}


@blp.route("/<string:quiz_id>/duplicate", methods=["POST"])
@blp.response(201, QuizDetailSchema)
@role_required(*AUTHORS)
@documents_errors(409)
@idempotent
def duplicate_quiz(quiz_id):
    """Duplicate a quiz as a new draft."""
    actor = current_actor()
    return services.duplicate_quiz(get_managed_quiz(quiz_id, actor), actor=actor)


@blp.route("/<string:quiz_id>/overrides")
class QuizOverrides(MethodView):
    @blp.arguments(OverrideListQuery, location="query")
    @blp.response(200, OverridePage)
    @role_required(*AUTHORS)
    def get(self, params, quiz_id):
        """List the quiz's student and class overrides

        `search` matches the student's name or registration number, or the class's name.
        """
        return overrides.list_overrides(get_managed_quiz(quiz_id, current_actor()), params)

    @blp.arguments(OverrideCreateSchema)
    @blp.response(201, OverrideSchema)
    @role_required(*AUTHORS)
    @documents_errors(409)
    @idempotent
    def post(self, body, quiz_id):
        """Override the quiz's window, time limit, attempts or access-code rule for a student or class

        A student override beats a class override beats the quiz, setting by setting;
        the student's extra time applies on top. Audited.
        """
        actor = current_actor()
        return overrides.create_override(get_managed_quiz(quiz_id, actor), body, actor=actor)


@blp.route("/<string:quiz_id>/overrides/<string:override_id>")
class QuizOverrideItem(MethodView):
    @blp.response(200, OverrideSchema)
    @role_required(*AUTHORS)
    def get(self, quiz_id, override_id):
        """Read one override of the quiz"""
        return get_managed_override(quiz_id, override_id, current_actor())

    @blp.arguments(OverrideUpdateSchema)
    @blp.response(200, OverrideSchema)
    @role_required(*AUTHORS)
    @documents_errors(409)
    def put(self, body, quiz_id, override_id):
        """Change an override's settings (null inherits again); its student or class stays. Audited."""
        actor = current_actor()
        return overrides.update_override(get_managed_override(quiz_id, override_id, actor), body, actor=actor)

    @blp.response(200, MessageSchema)
    @role_required(*AUTHORS)
    def delete(self, quiz_id, override_id):
        """Delete an override: the student or class is back on the quiz's settings. Audited."""
        actor = current_actor()
        overrides.delete_override(get_managed_override(quiz_id, override_id, actor), actor=actor)
        return {"message": "Override deleted"}
