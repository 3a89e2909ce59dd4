"""Taking a quiz: start, autosave, violations and submit."""
import hmac

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from app.attempts import answers as answer_store
from app.attempts.allowance import Allowance
from app.attempts.integrity import recent_repeat
from app.attempts.lifecycle import (
    close_attempt,
    expire_attempt,
    refuse_closed,
    state_details,
)
from app.attempts.models import AttemptQuestion, QuizAttempt, Violation, grace, is_past_grace
from app.attempts.ordering import decide_order, draw_questions
from app.attempts.start_read import read_for_start
from app.common import events
from app.common.authz import get_own_attempt
from app.common.db import commit, insert_as_loaded, rollback
from app.errors import Conflict, Forbidden, InvalidState
from app.extensions import db
from app.quizzes import shown
from app.quizzes.effective import EffectiveSettings

START_TRIES = 5


def in_progress_attempt(quiz_id: str, student_id: str) -> QuizAttempt | None:
    key = QuizAttempt.in_progress_key_for(quiz_id, student_id)
    return db.session.scalar(select(QuizAttempt).where(QuizAttempt.in_progress_key == key))


def _is_retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "args", [None])[0]
    return isinstance(exc, OperationalError) and code in (1205, 1213)  # lock wait, deadlock


def start_attempt(quiz_id: str, *, actor, now, ip_address=None, user_agent=None,
                  access_code: str | None = None) -> tuple[QuizAttempt, list | None]:
    """The student's attempt at the quiz: the one in progress, or a new one.

    Returns (attempt, questions): for a new attempt the quiz's (question, marks) pairs
    it was built from, None when resuming. The window, time limit, attempt count and
    access-code rule are the student's effective ones (app.quizzes.effective); the
    attempt carries them as `effective` and `attempts_remaining` for the response.
    Two simultaneous starts race on the unique
    `in_progress_key` and attempt number; the loser rolls back and retries in a
    fresh transaction, whose first read then finds the winner's attempt. The first
    read is a shared locking read of the quiz, so an edit of its questions in flight
    is waited for and none can commit until the start does (`app.quizzes.shown`).
    """
    for _ in range(START_TRIES):
        try:
            return _start_once(quiz_id, actor, now, ip_address, user_agent, access_code)
        except (IntegrityError, OperationalError) as exc:
            if not _is_retryable(exc):
                raise
            rollback()
    raise Conflict("The attempt could not be started; retry", error_code="START_CONFLICT")


def _start_once(quiz_id, actor, now, ip_address, user_agent, access_code) -> tuple[QuizAttempt, list | None]:
    quiz, settings, allowance, student_name = read_for_start(quiz_id, actor)
    if allowance.in_progress_id is not None:
        current = db.session.get(QuizAttempt, allowance.in_progress_id)
        set_committed_value(current, "quiz", quiz)
        if not is_past_grace(current, now):
            return _with_effective(current, settings, allowance), None
        expire_attempt(current, now)
    _check_may_start(quiz, settings, allowance, now, access_code)
    drawn = draw_questions(quiz)
    questions = shown.shown_questions(quiz) + drawn
    question_order, option_order, answer_forms = decide_order(quiz, questions)
    attempt = insert_as_loaded(QuizAttempt, dict(
        quiz_id=quiz.id, student_id=actor.id, attempt_number=allowance.last_number + 1,
        in_progress_key=QuizAttempt.in_progress_key_for(quiz.id, actor.id), started_at=now,
        deadline_at=settings.deadline_for(now), status="in_progress", question_order=question_order,
        option_order=option_order, answer_forms=answer_forms or None, last_activity_at=now, current_question_index=0,
        ip_address=ip_address, user_agent=(user_agent or "")[:1000] or None,
    ))
    if drawn:
        db.session.execute(insert(AttemptQuestion), [
            {"attempt_id": attempt.id, "question_id": q.id, "position": question_order.index(q.id)}
            for q, _marks in drawn])
    allowance.used += 1
    _with_effective(attempt, settings, allowance)
    set_committed_value(attempt, "quiz", quiz)  # the quiz in hand: no query to load it again
    events.publish(events.attempt_started, attempt_id=attempt.id, quiz_id=quiz.id, student_id=actor.id,
                   student_name=student_name, attempt_number=attempt.attempt_number,
                   total_questions=len(question_order), started_at=now, expires_at=attempt.deadline_at)
    return attempt, questions


def _check_may_start(quiz, settings: EffectiveSettings, allowance: Allowance, now, access_code) -> None:
    if not settings.is_open_at(now):
        raise InvalidState("This quiz is not open for attempts now", error_code="QUIZ_NOT_OPEN")
    if settings.access_code_required and not _code_matches(quiz, access_code):
        raise Forbidden("Starting this quiz needs its access code", error_code="ACCESS_CODE_REQUIRED")
    if allowance.remaining <= 0:
        # `max_attempts` is the quiz's, as everywhere; the student's own terms beside it.
        raise InvalidState("No attempts left for this quiz", error_code="NO_ATTEMPTS_LEFT", details={
            "max_attempts": quiz.max_attempts, "effective_max_attempts": settings.max_attempts,
            "additional_granted": allowance.additional_granted, "used_attempts": allowance.used})


def _code_matches(quiz, access_code: str | None) -> bool:
    # Access codes are case-insensitive (stored upper-case) and not secrets of the
    # account, but compared in constant time all the same.
    given = (access_code or "").strip().upper()
    return hmac.compare_digest(given.encode(), quiz.access_code.encode())


def _with_effective(attempt: QuizAttempt, settings: EffectiveSettings, allowance: Allowance) -> QuizAttempt:
    attempt.effective = settings
    attempt.attempts_remaining = allowance.remaining
    return attempt


def save_answers(attempt_id: str, items: list[dict], *, actor, now) -> tuple:
    """Upsert answers; returns (attempt row, answered_count, question_index)."""
    ids = list(dict.fromkeys(item["question_id"] for item in items))
    snapshot = answer_store.lock_for_save(attempt_id, ids, actor)
    if snapshot.status != "in_progress" or is_past_grace(snapshot, now):
        _refuse_save(attempt_id, now)
    rows = [answer_store.checked_row(snapshot, item) for item in items]
    answer_store.upsert(attempt_id, rows, now)
    answered_index = snapshot.question_order.index(items[-1]["question_id"])
    index = next((i["question_index"] for i in reversed(items) if i.get("question_index") is not None),
                 answered_index)
    if index != answered_index or len(items) > 1:  # what the answer rows cannot say (app.attempts.progress)
        answer_store.record_progress(attempt_id, index, now)
    answered = snapshot.answered_elsewhere + len(ids)
    for question_id in ids:
        events.publish(events.answer_saved, attempt_id=attempt_id, quiz_id=snapshot.quiz_id,
                       student_id=actor.id, student_name=snapshot.student_name, question_id=question_id,
                       question_index=index,
                       answered_count=answered, question_count=len(snapshot.question_order))
    return snapshot, answered, index


def _refuse_save(attempt_id: str, now) -> None:
    # A locking read, like the snapshot's: it sees the latest committed state.
    attempt = db.session.get(QuizAttempt, attempt_id, with_for_update=True)
    refuse_closed(attempt)
    _expire_and_refuse(attempt, now)


def _expire_and_refuse(attempt: QuizAttempt, now) -> None:
    expire_attempt(attempt, now)
    raise InvalidState("Time is up: the attempt was submitted as it stood", error_code="TIME_EXPIRED",
                       details=state_details(attempt))


def submit_attempt(attempt_id: str, *, actor, now) -> tuple[QuizAttempt, list]:
    attempt = get_own_attempt(attempt_id, actor, for_update=True)
    refuse_closed(attempt)
    reason = "time_expired" if is_past_grace(attempt, now) else None
    pending = close_attempt(attempt, now=now, reason=reason)
    if pending is None:
        refuse_closed(attempt)
    return attempt, pending


def record_violation(attempt_id: str, data: dict, *, actor, now) -> tuple[QuizAttempt, Violation, bool]:
    """Returns (attempt, violation, duplicate). A retried client_event_id, or the same event
    again within `REPEAT_WINDOW` by the server's clock, is counted once."""
    attempt = get_own_attempt(attempt_id, actor, for_update=True)
    event_id = data.get("client_event_id")
    if event_id:
        earlier = _violation_by_event(attempt.id, event_id)
        if earlier is not None:
            return attempt, earlier, True
    refuse_closed(attempt)
    if is_past_grace(attempt, now):
        _expire_and_refuse(attempt, now)
    repeated = recent_repeat(attempt.id, data, now)
    if repeated is not None:
        return attempt, repeated, True
    violation = Violation(
        attempt_id=attempt.id, violation_type=data["violation_type"], detected_at=now,
        question_index=data.get("question_index"), severity=data.get("severity") or "medium",
        details=data.get("metadata"), client_event_id=event_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(violation)
    except IntegrityError:  # the same event raced in from a parallel retry
        return attempt, _violation_by_event(attempt.id, event_id), True
    attempt.total_violations = (attempt.total_violations or 0) + 1
    auto, flagged = _apply_threshold(attempt, now)
    quiz = attempt.quiz
    events.publish(events.violation_recorded, attempt_id=attempt.id, quiz_id=attempt.quiz_id,
                   student_id=attempt.student_id, student_name=getattr(actor, "name", None), violation_id=violation.id,
                   violation_type=violation.violation_type, severity=violation.severity,
                   total_violations=attempt.total_violations, max_violations=quiz.max_violations,
                   auto_submitted=auto, flagged=flagged)
    return attempt, violation, False


def _apply_threshold(attempt: QuizAttempt, now) -> tuple[bool, bool]:
    """(auto_submitted, flagged just now): the quiz's `violation_action` once the
    attempt's violations reach `max_violations`."""
    quiz = attempt.quiz
    if attempt.violations_toward_threshold < quiz.max_violations:
        return False, False
    if quiz.violation_action == "flag_only":
        if attempt.flagged_at is not None:
            return False, False
        attempt.flagged_at = now
        return False, True
    close_attempt(attempt, now=now, reason="violations", violations=True)
    return True, False


def _violation_by_event(attempt_id: str, event_id: str) -> Violation | None:
    # Locking read: a parallel retry's committed row is newer than this snapshot.
    return db.session.scalar(select(Violation).where(
        Violation.attempt_id == attempt_id, Violation.client_event_id == event_id).with_for_update())


def expired_attempt_ids(now, limit: int) -> list[str]:
    """In-progress attempts past deadline and grace, skipping rows another worker holds."""
    cutoff = now - grace()
    return list(db.session.scalars(
        select(QuizAttempt.id).where(QuizAttempt.status == "in_progress", QuizAttempt.deadline_at < cutoff)
        .order_by(QuizAttempt.deadline_at).limit(limit).with_for_update(skip_locked=True)
    ))


def close_expired(now, *, batch: int = 100) -> int:
    """Close and grade abandoned attempts, one committed batch at a time."""
    closed = 0
    while True:
        ids = expired_attempt_ids(now, batch)
        if not ids:
            return closed
        for attempt in db.session.scalars(select(QuizAttempt).where(QuizAttempt.id.in_(ids))).all():
            if close_attempt(attempt, now=now, reason="time_expired") is not None:
                closed += 1
        commit()
