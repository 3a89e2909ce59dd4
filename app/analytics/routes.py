"""/api/analytics: dashboards and the quiz report (seed 001 §5.10).

The report as a download, `GET /api/analytics/quiz/{id}/export`, belongs to the exports
package, which renders this package's figures."""
from flask_smorest import Blueprint

from app.analytics import dashboards, services
from app.analytics.schemas import (
    AdminAnalyticsSchema,
    QuizAnalyticsSchema,
    StudentAnalyticsSchema,
    TeacherAnalyticsSchema,
)
from app.common.authz import (
    current_actor,
    get_managed_quiz,
    get_visible_student,
    get_visible_teacher,
    role_required,
)
from app.common.clock import utcnow

blp = Blueprint("analytics", __name__, url_prefix="/api/analytics", description="Analytics and dashboards")


@blp.route("/admin")
@blp.response(200, AdminAnalyticsSchema)
@role_required("admin")
def admin():
    """School-wide dashboard for admins.

    Counts of users, classes, quizzes and attempts, with recent activity.
    """
    return dashboards.admin_dashboard(now=utcnow())


@blp.route("/teacher/<string:teacher_id>")
@blp.response(200, TeacherAnalyticsSchema)
@role_required("admin", "teacher")
def teacher(teacher_id):
    """A teacher sees only their own dashboard."""
    return dashboards.teacher_dashboard(get_visible_teacher(teacher_id, current_actor()).user, now=utcnow())


@blp.route("/student/<string:student_id>")
@blp.response(200, StudentAnalyticsSchema)
@role_required("admin", "teacher", "student")
def student(student_id):
    """A student only their own; a teacher the students of their classes."""
    actor = current_actor()
    return dashboards.student_dashboard(get_visible_student(student_id, actor), actor=actor, now=utcnow())


@blp.route("/quiz/<string:quiz_id>")
@blp.response(200, QuizAnalyticsSchema)
@role_required("admin", "teacher")
def quiz(quiz_id):
    """Statistics of one quiz.

    Score distribution, pass rate and per-question difficulty of the quiz's submitted attempts; the quiz's
    teacher or an admin.
    """
    return services.quiz_analytics(get_managed_quiz(quiz_id, current_actor()), now=utcnow())

