"""/api/grading: manual grading by the quiz's teacher or an admin (seed 001 §5.9), and
`PUT /api/questions/{id}`: a question's update, with a regrade of its answers when asked
(the question bank's address, served here because regrading needs grading's code)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.apidoc import documents_errors
from app.common.authz import current_actor, get_visible_attempt, get_visible_question, role_required
from app.common.clock import utcnow
from app.common.pagination import ordering_field
from app.extensions import db
from app.grading import services
from app.grading.regrade import regrade_question
from app.grading.schemas import (
    GradeRequestSchema,
    GradeResultSchema,
    GradingDetailSchema,
    GradingQuerySchema,
    QueuePage,
)
from app.questions import services as question_services
from app.questions.schemas import QuestionRegradeResultSchema, QuestionUpdateSchema, RegradeQuerySchema

blp = Blueprint("grading", __name__, url_prefix="/api", description="Manual grading and regrading")


class GradingQuery(GradingQuerySchema):
    ordering = ordering_field(services.ORDERINGS)


@blp.route("/grading/pending")
class Pending(MethodView):
    @blp.arguments(GradingQuery, location="query")
    @blp.response(200, QueuePage)
    @role_required("admin", "teacher")
    def get(self, params):
        """Submitted attempts with answers waiting for marks (oldest first)."""
        return services.list_pending(params, actor=current_actor())


@blp.route("/grading/graded")
class Graded(MethodView):
    @blp.arguments(GradingQuery, location="query")
    @blp.response(200, QueuePage)
    @role_required("admin", "teacher")
    def get(self, params):
        """Finished attempts with nothing left to mark (newest first)."""
        return services.list_graded(params, actor=current_actor())


@blp.route("/grading/attempts/<string:attempt_id>")
class AttemptForGrading(MethodView):
    @blp.response(200, GradingDetailSchema)
    @role_required("admin", "teacher")
    def get(self, attempt_id):
        """Each question with the answer key, the student's answer and the current marks."""
        return services.grading_view(get_visible_attempt(attempt_id, current_actor()))


@blp.route("/grading/attempts/<string:attempt_id>/grade", methods=["POST"])
@blp.arguments(GradeRequestSchema)
@blp.response(200, GradeResultSchema)
@role_required("admin", "teacher")
@documents_errors(409)
def grade(body, attempt_id):
    """Marks and feedback for some or all answers; re-grading and overrides are audited."""
    attempt = get_visible_attempt(attempt_id, current_actor(), for_update=True)
    return services.grade_attempt(attempt, body["grades"], actor=current_actor(), now=utcnow())


@blp.route("/questions/<uuid:question_id>", methods=["PUT"])
@blp.arguments(RegradeQuerySchema, location="query", as_kwargs=False)
@blp.arguments(QuestionUpdateSchema)
@blp.response(200, QuestionRegradeResultSchema)
@role_required("admin", "teacher")
@documents_errors(409)
def update_question(query, body, question_id):
    """Change a question; with `"regrade": true`, also its key after students answered, and
    regrade their closed attempts (`?dry_run=true`: only report what would change)"""
    actor = current_actor()
    question = get_visible_question(str(question_id), actor)
    if not body.pop("regrade", False):
        return question_services.update_question(question, body, actor=actor)
    report = regrade_question(question, body, actor=actor, now=utcnow(), dry_run=query["dry_run"])
    if report["dry_run"]:
        db.session.refresh(question)
    question.regrade = report
    return question
