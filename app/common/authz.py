"""Who may see what: role checks and every object-level visibility rule, in one module.

Rules (CONTRACT "Auth"):
- admin: everything;
- teacher: the classes assigned to them, the students of those classes, their own
  questions and quizzes, and the attempts at those quizzes;
- student: their own profile, the published quizzes of their class (and an archived
  one while their attempt at it is in progress), their own attempts;
- everyone: their own notifications, and no one else's.
An object the caller may not see is "not found" (404), never "forbidden".
"""
from functools import partial, wraps

from flask import current_app, g, request
from flask_jwt_extended import current_user, verify_jwt_in_request
from sqlalchemy import and_, exists, false, or_, select, true

from app.attempts.models import QuizAttempt
from app.classes.models import SchoolClass, TeacherClass
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.notifications.models import Notification
from app.questions.models import Question
from app.quizzes.models import Quiz, QuizClass, QuizOverride
from app.students.models import Student
from app.teachers.models import Teacher
from app.users.models import User


def role_required(*roles: str):
    """Require a valid access token and, when roles are given, one of those roles.

    The check also runs before the request body is parsed (`authorize_before_parsing`),
    so a caller without a token gets 401 and a wrong role 403, never a 422 about a body
    it may not send at all.
    """
    guard = authorized_by(partial(require_token, roles))

    def decorator(view):
        wrapper = guard(view)
        wrapper.required_roles = roles  # the OpenAPI document derives 401/403 from it (app.common.apidoc)
        return wrapper

    return decorator


def authorized_by(authorize):
    """Run `authorize()` for the view, ahead of its arguments (`authorize_before_parsing`).

    `role_required` is one such check; `app.auth.holder.token_holder_required` the other.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not g.get("authorized_early"):
                authorize()
            return view(*args, **kwargs)

        wrapper.authorize_request = authorize  # copied up by the decorators that wrap it (functools.wraps)
        return wrapper

    return decorator


def require_token(roles: tuple[str, ...]) -> None:
    """The per-request check: the token in full (app.auth.tokens) and, when roles are
    given, the caller's current role; raises the 401 or 403 the caller has earned."""
    verify_jwt_in_request()
    if roles and current_user.role not in roles:
        raise Forbidden("Your role does not allow this action")


def authorize_before_parsing() -> None:
    """before_request hook: run the endpoint's authorization ahead of its arguments."""
    g.pop("authorized_early", None)  # `g` outlives a request when an app context was already pushed
    if request.method == "OPTIONS":  # CORS preflight: no token is sent and no view runs
        return
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = "get" if request.method == "HEAD" else request.method.lower()
        view = getattr(view_class, method, None)
    authorize = getattr(view, "authorize_request", None)
    if authorize is None:
        return
    authorize()
    g.authorized_early = True


def current_actor() -> User:
    """The caller, as the per-request check loaded them."""
    return current_user


# --- classes -----------------------------------------------------------------

def _found_or_404(stmt, what: str):
    """The row `stmt` selects, or NotFound: a row the actor may not see is not there."""
    found = db.session.scalar(stmt)
    if found is None:
        raise NotFound(f"{what} not found")
    return found


def teacher_class_ids(actor: User):
    return select(TeacherClass.class_id).where(TeacherClass.teacher_id == actor.id)


def visible_classes_clause(actor: User):
    if actor.is_admin:
        return true()
    if actor.is_teacher:
        return SchoolClass.id.in_(teacher_class_ids(actor))
    return SchoolClass.id == (actor.student.class_id if actor.student else None)


def get_visible_class(class_id: str, actor: User) -> SchoolClass:
    return _found_or_404(select(SchoolClass).where(SchoolClass.id == class_id, visible_classes_clause(actor)), "Class")


# --- students and teachers ----------------------------------------------------

def visible_students_clause(actor: User):
    if actor.is_admin:
        return true()
    if actor.is_teacher:
        return Student.class_id.in_(teacher_class_ids(actor))
    return Student.id == actor.id


def get_visible_student(student_id: str, actor: User) -> Student:
    return _found_or_404(select(Student).where(Student.id == student_id, visible_students_clause(actor)), "Student")


def get_visible_teacher(teacher_id: str, actor: User) -> Teacher:
    if not (actor.is_admin or actor.id == teacher_id):
        raise NotFound("Teacher not found")
    found = db.session.get(Teacher, teacher_id)
    if found is None:
        raise NotFound("Teacher not found")
    return found


# --- questions and quizzes ----------------------------------------------------

def visible_questions_clause(actor: User):
    if actor.is_admin:
        return true()
    if actor.is_teacher:
        return Question.created_by == actor.id
    return false()


def get_visible_question(question_id: str, actor: User) -> Question:
    stmt = select(Question).where(Question.id == question_id, visible_questions_clause(actor))
    return _found_or_404(stmt, "Question")


def visible_quizzes_clause(actor: User):
    if actor.is_admin:
        return true()
    if actor.is_teacher:
        return Quiz.created_by == actor.id
    return student_quizzes_clause(actor.id)


def student_quizzes_clause(student_id):
    """The quizzes a student sees. `student_id`: a value, or a bind parameter (a
    statement built once: start's one read, app.attempts.start_read)."""
    # The student's class as a subquery, not a lazy load of actor.student: starting a
    # quiz is a hot path on exam day. No class (NULL) matches no quiz.
    class_id = select(Student.class_id).where(Student.id == student_id).scalar_subquery()
    return and_(
        or_(Quiz.status == "published", and_(Quiz.status == "archived", _attempt_in_progress(student_id))),
        exists().where(QuizClass.quiz_id == Quiz.id, QuizClass.class_id == class_id),
    )


def _attempt_in_progress(student_id):
    """Archiving a quiz lets whoever is taking it finish: they read it, resume it (start
    returns their attempt; `Quiz.is_open_at` refuses a new one) and submit."""
    return exists().where(QuizAttempt.quiz_id == Quiz.id, QuizAttempt.student_id == student_id,
                          QuizAttempt.status == "in_progress")


def get_visible_quiz(quiz_id: str, actor: User, *, for_update: bool = False) -> Quiz:
    stmt = select(Quiz).where(Quiz.id == quiz_id, visible_quizzes_clause(actor))
    if for_update:
        stmt = stmt.with_for_update()
    return _found_or_404(stmt, "Quiz")


def get_managed_quiz(quiz_id: str, actor: User) -> Quiz:
    """A quiz the actor may change: its teacher's, or any for an admin."""
    if actor.is_student:
        raise NotFound("Quiz not found")
    return get_visible_quiz(quiz_id, actor)


def get_managed_override(quiz_id: str, override_id: str, actor: User) -> QuizOverride:
    """An override of a quiz the actor may change; one of another quiz is "not found"."""
    quiz = get_managed_quiz(quiz_id, actor)
    return _found_or_404(select(QuizOverride).where(
        QuizOverride.id == override_id, QuizOverride.quiz_id == quiz.id), "Override")


# --- attempts ------------------------------------------------------------------

def visible_attempts_clause(actor: User):
    if actor.is_admin:
        return true()
    if actor.is_teacher:
        return QuizAttempt.quiz_id.in_(select(Quiz.id).where(Quiz.created_by == actor.id))
    return QuizAttempt.student_id == actor.id


def get_visible_attempt(attempt_id: str, actor: User, *, for_update: bool = False) -> QuizAttempt:
    stmt = select(QuizAttempt).where(QuizAttempt.id == attempt_id, visible_attempts_clause(actor))
    if for_update:
        stmt = stmt.with_for_update()
    return _found_or_404(stmt, "Attempt")


def get_own_attempt(attempt_id: str, actor: User, *, for_update: bool = False) -> QuizAttempt:
    """An attempt the actor is taking: only its student may write to it."""
    if not actor.is_student:
        raise NotFound("Attempt not found")
    return get_visible_attempt(attempt_id, actor, for_update=for_update)


def get_managed_attempt(attempt_id: str, actor: User, *, for_update: bool = False) -> QuizAttempt:
    """An attempt the actor may control and review: at their quiz, or any for an admin.
    Its own student is told "not found", like anyone else who may not manage it."""
    if actor.is_student:
        raise NotFound("Attempt not found")
    return get_visible_attempt(attempt_id, actor, for_update=for_update)


# --- notifications -----------------------------------------------------------------

def get_own_notification(notification_id: str, actor: User) -> Notification:
    """Everyone's notifications are their own, an admin's too: another's is "not found"."""
    return _found_or_404(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == actor.id), "Notification")


# --- class management ------------------------------------------------------------

def get_managed_class(class_id: str, actor: User) -> SchoolClass:
    """A class whose students the actor may change: one they teach, or any for an admin."""
    if not (actor.is_admin or actor.is_teacher):
        raise NotFound("Class not found")
    return get_visible_class(class_id, actor)


def get_visible_quiz_by_code(access_code: str, actor: User) -> Quiz:
    """The quiz behind an access code (case-insensitive), if the actor may see it."""
    return _found_or_404(select(Quiz).where(
        Quiz.access_code == access_code.strip().upper(), visible_quizzes_clause(actor)), "Quiz")


# --- question media ------------------------------------------------------------------

def student_may_review(attempt: QuizAttempt) -> bool:
    """A closed attempt shows its student the questions and marks when the quiz allows review."""
    return not attempt.is_in_progress and bool(attempt.quiz.allow_review)


def attempt_shows_questions(attempt: QuizAttempt, actor: User, now) -> bool:
    """Its student sees an attempt's questions while taking it (until the deadline and
    its grace) and afterwards while the quiz allows review; its staff always."""
    if not actor.is_student:
        return True
    if attempt.is_in_progress:
        return not attempt.is_past_grace(now)
    return student_may_review(attempt)


def may_see_question_media(question_id: str, actor: User, *, attempt_id: str | None, now) -> bool:
    """Staff who may see the question in the bank; anyone who may see an attempt that
    shows it, for as long as that attempt shows it."""
    if attempt_id is None:
        return not actor.is_student and bool(db.session.scalar(select(exists().where(
            Question.id == question_id, visible_questions_clause(actor)))))
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.id == attempt_id,
                                                          visible_attempts_clause(actor)))
    return (attempt is not None and question_id in (attempt.question_order or [])
            and attempt_shows_questions(attempt, actor, now))
