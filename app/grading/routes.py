"""/api/grading: manual grading by the quiz's teacher or an admin (seed 001 §5.9)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.apidoc import documents_errors
from app.common.authz import current_actor, get_visible_attempt, role_required
from app.common.clock import utcnow
from app.common.pagination import ordering_field
from app.grading import services
from app.grading.schemas import (
    GradeRequestSchema,
    GradeResultSchema,
    GradingDetailSchema,
    GradingQuerySchema,
    QueuePage,
)

blp = Blueprint("grading", __name__, url_prefix="/api/grading", description="Manual grading")


class GradingQuery(GradingQuerySchema):
    ordering = ordering_field(services.ORDERINGS)


@blp.route("/pending")
class Pending(MethodView):
    @blp.arguments(GradingQuery, location="query")
    @blp.response(200, QueuePage)
    @role_required("admin", "teacher")
    def get(self, params):
        """Submitted attempts with answers waiting for marks (oldest first)."""
        return services.list_pending(params, actor=current_actor())


@blp.route("/graded")
class Graded(MethodView):
    @blp.arguments(GradingQuery, location="query")
    @blp.response(200, QueuePage)
    @role_required("admin", "teacher")
    def get(self, params):
        """Finished attempts with nothing left to mark (newest first)."""
        return services.list_graded(params, actor=current_actor())


@blp.route("/attempts/<string:attempt_id>")
class AttemptForGrading(MethodView):
    @blp.response(200, GradingDetailSchema)
    @role_required("admin", "teacher")
    def get(self, attempt_id):
        """Each question with the answer key, the student's answer and the current marks."""
        return services.grading_view(get_visible_attempt(attempt_id, current_actor()))


@blp.route("/attempts/<string:attempt_id>/grade", methods=["POST"])
@blp.arguments(GradeRequestSchema)
@blp.response(200, GradeResultSchema)
@role_required("admin", "teacher")
@documents_errors(409)
def grade(body, attempt_id):
    """Marks and feedback for some or all answers; re-grading and overrides are audited."""
    attempt = get_visible_attempt(attempt_id, current_actor(), for_update=True)
    return services.grade_attempt(attempt, body["grades"], actor=current_actor(), now=utcnow())
