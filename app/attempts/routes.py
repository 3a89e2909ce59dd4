"""Taking quizzes and reading attempts (seed 001 §5.6 start, §5.8; seed 000 §4.2).

`POST /api/quizzes/{id}/start` answers 201 with a new attempt, or 200 with the
attempt already in progress (same body).
"""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.attempts import controls, integrity, queries, resets, services
from app.attempts.control_schemas import (
    CategorizedSchema,
    ControlResultSchema,
    ExtendInSchema,
    ForceSubmitInSchema,
    IntegritySchema,
    QuizExtendInSchema,
    QuizExtendResultSchema,
    ReopenInSchema,
    ReviewInSchema,
)
from app.attempts.lifecycle import time_fields
from app.attempts.schemas import (
    AnswerBatchSchema,
    AnswerInSchema,
    AttemptDetailSchema,
    AttemptItemSchema,
    AttemptListQuerySchema,
    AvailableQuerySchema,
    AvailableSchema,
    HistoryQuerySchema,
    HistorySchema,
    ResetInSchema,
    ResetResultSchema,
    SaveResultSchema,
    StartInSchema,
    StartSchema,
    SubmitInSchema,
    SubmitResultSchema,
    ViolationInSchema,
    ViolationResultSchema,
)
from app.auth.holder import current_token_holder, token_holder_required
from app.common.apidoc import documents_errors
from app.common.authz import current_actor, role_required
from app.common.clock import utcnow
from app.common.pagination import ordering_field, page_schema
from app.common.schemas import json_body_doc, load_json_body
from app.extensions import not_rate_limited
from app.quizzes.effective import student_fields

blp = Blueprint("attempts", __name__, url_prefix="/api", description="Taking quizzes and attempts")

AttemptPage = page_schema(AttemptItemSchema, "AttemptPage")


class AttemptListQuery(AttemptListQuerySchema):
    ordering = ordering_field(queries.ORDERINGS)


@blp.route("/quizzes/<string:quiz_id>/start", methods=["POST"])
@blp.arguments(StartInSchema, required=False)
@blp.response(201, StartSchema)
@blp.alt_response(200, schema=StartSchema, description="The attempt already in progress")
@not_rate_limited
@token_holder_required("student")
@documents_errors(409)
def start_quiz(body, quiz_id):
    """Start the quiz, or resume the attempt in progress

    The deadline, window and attempt count are the student's effective ones (their
    overrides and extra time applied). A body is needed only when the quiz requires
    its access code.
    """
    now = utcnow()
    attempt, questions = services.start_attempt(
        quiz_id, actor=current_token_holder(), now=now, ip_address=request.remote_addr,
        user_agent=request.user_agent.string, access_code=body.get("access_code"),
    )
    view = {**queries.taking_view(attempt, now, questions),
            **student_fields(attempt.effective, attempt.attempts_remaining)}
    return view, 200 if questions is None else 201


@blp.route("/attempts")
class Attempts(MethodView):
    @blp.arguments(AttemptListQuery, location="query")
    @blp.response(200, AttemptPage)
    @role_required()
    def get(self, params):
        """List attempts.

        Admins see all, teachers the attempts at their quizzes, students their own.
        """
        return queries.list_attempts(params, actor=current_actor(), now=utcnow())


@blp.route("/attempts/<string:attempt_id>")
class AttemptItem(MethodView):
    @blp.response(200, AttemptDetailSchema)
    @role_required()
    def get(self, attempt_id):
        """Read one attempt.

        With `server_time`, `expires_at` and `time_remaining_seconds`; a student sees answer keys only after
        submission and as the quiz's review settings allow.
        """
        return queries.detail_view(attempt_id, actor=current_actor(), now=utcnow())


_ANSWER_IN = AnswerInSchema()
_SAVE_RESULT = SaveResultSchema()


# The autosave, every few seconds per student on exam day, is served without the
# arguments/response layers and the rate limiter (no limit applies to it): the same
# schemas load and dump by hand, and the OpenAPI document says what they said.
@blp.route("/attempts/<string:attempt_id>/answer", methods=["POST"])
@blp.doc(**json_body_doc(AnswerInSchema))
@blp.alt_response(200, schema=SaveResultSchema, description="OK")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@not_rate_limited
@token_holder_required("student")
@documents_errors(409)
def save_answer(attempt_id):
    """Save one answer (autosave).

    An idempotent upsert per question: saving the same question again replaces the answer. Refused with 409
    once the attempt is closed or past its deadline plus the grace period (the attempt is then submitted as
    it stands).
    """
    body = load_json_body(_ANSWER_IN)
    now = utcnow()
    attempt, answered, index = services.save_answers(attempt_id, [body], actor=current_token_holder(), now=now)
    return _SAVE_RESULT.dump({
        "message": "Answer saved", "question_id": body["question_id"], "current_question_index": index,
        "question_index": index,
        "answered_count": answered, "question_count": len(attempt.question_order), **time_fields(attempt, now),
    })


@blp.route("/attempts/<string:attempt_id>/answers", methods=["PUT"])
@blp.arguments(AnswerBatchSchema())
@blp.response(200, SaveResultSchema)
@token_holder_required("student")
@documents_errors(409)
def save_answers(body, attempt_id):
    """Save several answers at once.

    The batch form of the autosave, for a client that was offline: each answer is an upsert per
    question.
    """
    now = utcnow()
    attempt, answered, index = services.save_answers(attempt_id, body["answers"], actor=current_token_holder(),
                                                     now=now)
    return {"message": "Answers saved", "saved": len(body["answers"]), "current_question_index": index,
            "question_index": index,
            "answered_count": answered, "question_count": len(attempt.question_order),
            **time_fields(attempt, now)}


@blp.route("/attempts/<string:attempt_id>/submit", methods=["POST"])
@blp.arguments(SubmitInSchema, required=False)
@blp.response(200, SubmitResultSchema)
@role_required("student")
@documents_errors(409)
def submit(_body, attempt_id):
    """Submit the attempt.

    Closes the attempt and grades what can be graded automatically; descriptive answers wait for a teacher.
    Submitting twice is a 409.
    """
    now = utcnow()
    attempt, pending = services.submit_attempt(attempt_id, actor=current_actor(), now=now)
    return {"message": "Quiz submitted successfully", "attempt_id": attempt.id,
            "status": "pending" if pending else "graded", "attempt_status": attempt.status,
            "auto_submit_reason": attempt.auto_submit_reason, "score": attempt.score,
            "total_marks": attempt.total_marks, "percentage": attempt.percentage, "passed": attempt.passed,
            "pending_manual_grading": len(pending), "submitted_at": attempt.submitted_at,
            **time_fields(attempt, now)}


@blp.route("/attempts/<string:attempt_id>/violations", methods=["POST"])
@blp.arguments(ViolationInSchema)
@blp.response(200, ViolationResultSchema)
@role_required("student")
@documents_errors(409)
def report_violation(body, attempt_id):
    """Report an integrity violation.

    A retried report with the same `client_event_id` counts once. Reaching the quiz's `max_violations`
    submits the attempt (`auto_submit_reason: violations`).
    """
    now = utcnow()
    attempt, violation, duplicate = services.record_violation(attempt_id, body, actor=current_actor(), now=now)
    limit = attempt.quiz.max_violations
    return {"message": "Violation already recorded" if duplicate else "Violation recorded",
            "violation_id": violation.id, "duplicate": duplicate, "total_violations": attempt.total_violations,
            "max_violations": limit, "remaining": max(0, limit - attempt.violations_toward_threshold),
            "auto_submit": attempt.auto_submitted_due_to_violations,
            "auto_submitted": attempt.auto_submitted_due_to_violations, "status": attempt.status,
            **time_fields(attempt, now)}


@blp.route("/attempts/reset", methods=["POST"])
@blp.arguments(ResetInSchema)
@blp.response(200, ResetResultSchema)
@role_required("teacher", "admin")
@documents_errors(409)
def reset(body):
    """Grant a student another attempt at a quiz.

    The earlier attempts stay, archived as reset, and the student may start again.
    """
    return resets.reset_attempts(body, actor=current_actor(), now=utcnow())


@blp.route("/attempts/history")
@blp.arguments(HistoryQuerySchema, location="query")
@blp.response(200, HistorySchema)
@role_required()
def history(params):
    """The calling student's attempt history."""
    return resets.attempt_history(params, actor=current_actor(), now=utcnow())


@blp.route("/attempts/available")
@blp.arguments(AvailableQuerySchema, location="query")
@blp.response(200, AvailableSchema)
@role_required("student")
def available(params):
    """Quizzes the calling student may start now.

    With the student's effective window, time limit and attempts left.
    """
    return resets.available_attempts(params["quiz_id"], actor=current_actor())


@blp.route("/attempts/quiz/<string:quiz_id>/categorized")
@blp.response(200, CategorizedSchema)
@role_required("teacher", "admin")
def categorized(quiz_id):
    """A quiz's attempts by state.

    The quiz's attempts split into in progress, submitted automatically, submitted by the student and reset.
    """
    return resets.categorized_attempts(quiz_id, actor=current_actor(), now=utcnow())


# --- a teacher's live controls and the integrity review ------------------------------
# Open to every role so that a student hears "not found" (404) about an attempt they
# may not manage, their own included, like anyone else (authz.get_managed_attempt).

def _run_control(control, attempt_id: str, body: dict, message: str) -> dict:
    """`control` on one attempt, answered with the attempt's state and clock after it."""
    now = utcnow()
    attempt = control(attempt_id, body, actor=current_actor(), now=now)
    return {"message": message, "attempt_id": attempt.id, "student_id": attempt.student_id,
            "status": attempt.status, "auto_submit_reason": attempt.auto_submit_reason,
            "submitted_at": attempt.submitted_at, **time_fields(attempt, now)}


@blp.route("/attempts/<string:attempt_id>/extend", methods=["POST"])
@blp.arguments(ExtendInSchema)
@blp.response(200, ControlResultSchema)
@role_required()
@documents_errors(409)
def extend_attempt(body, attempt_id):
    """Give an attempt in progress more time (saves accepted until the new deadline plus grace)"""
    return _run_control(controls.extend_attempt, attempt_id, body, "Attempt extended")


@blp.route("/attempts/<string:attempt_id>/force-submit", methods=["POST"])
@blp.arguments(ForceSubmitInSchema)
@blp.response(200, ControlResultSchema)
@role_required()
@documents_errors(409)
def force_submit_attempt(body, attempt_id):
    """Close an attempt in progress now, as submitted by its teacher"""
    return _run_control(controls.force_submit_attempt, attempt_id, body, "Attempt submitted")


@blp.route("/attempts/<string:attempt_id>/reopen", methods=["POST"])
@blp.arguments(ReopenInSchema)
@blp.response(200, ControlResultSchema)
@role_required()
@documents_errors(409)
def reopen_attempt(body, attempt_id):
    """Put a closed, not hand-graded attempt back in progress, answers kept"""
    return _run_control(controls.reopen_attempt, attempt_id, body, "Attempt reopened")


@blp.route("/quizzes/<string:quiz_id>/extend", methods=["POST"])
@blp.arguments(QuizExtendInSchema)
@blp.response(200, QuizExtendResultSchema)
@role_required()
def extend_quiz(body, quiz_id):
    """Give every attempt in progress at a quiz, or the named students', more time"""
    now = utcnow()
    extended = controls.extend_quiz_attempts(quiz_id, body, actor=current_actor(), now=now)
    return {"message": f"{len(extended)} attempt(s) extended", "extended": len(extended),
            "attempts": [{"attempt_id": a.id, "student_id": a.student_id, "expires_at": a.deadline_at}
                         for a in extended]}


@blp.route("/attempts/<string:attempt_id>/integrity")
class AttemptIntegrity(MethodView):
    @blp.response(200, IntegritySchema)
    @role_required()
    def get(self, attempt_id):
        """An attempt's violation timeline, counts by type and its review (staff only)"""
        return integrity.attempt_integrity(attempt_id, actor=current_actor())

    @blp.arguments(ReviewInSchema)
    @blp.response(200, IntegritySchema)
    @role_required()
    def put(self, body, attempt_id):
        """Record a person's integrity review of an attempt (staff only)"""
        return integrity.review_attempt(attempt_id, body, actor=current_actor(), now=utcnow())
