"""Regrading: a wrong key fixed after the exam, and every closed attempt that answered the
question marked again in the same transaction.

Marks come from app.grading.scoring, as on submit; an answer a teacher marked by hand
keeps its marks. An attempt whose score moves keeps the score it had before its first
regrade (`score_before_regrade`) and when it was last regraded (`regraded_at`); its
student is told once the change is committed. A dry run does all of it inside a
savepoint and rolls the savepoint back: the report is the real one, nothing stays.
"""
from sqlalchemy import select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.common import events
from app.extensions import db
from app.grading.scoring import answers_of, attempt_marks, auto_grade, recompute_totals
from app.questions.models import Question
from app.questions.services import change_answer_key


def regrade_question(question: Question, data: dict, *, actor, now, dry_run: bool) -> dict:
    """Change the key and regrade; returns `{attempts_affected, changes, dry_run}`."""
    savepoint = db.session.begin_nested()
    try:
        change_answer_key(question, data, actor=actor)
        changes = [change for attempt in _closed_attempts_answering(question.id)
                   if (change := _regrade_attempt(attempt, question, now)) is not None]
    except Exception:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
        for change in changes:
            events.publish(events.attempt_regraded, **change, actor_id=actor.id)
    report = [{key: change[key] for key in ("attempt_id", "student_id", "score_before", "score_after")}
              for change in changes]
    return {"dry_run": dry_run, "attempts_affected": len(report), "changes": report}


def _closed_attempts_answering(question_id: str) -> list[QuizAttempt]:
    # Locking: a submit or a teacher's grade of the same attempts waits for this regrade.
    return list(db.session.scalars(
        select(QuizAttempt).join(StudentAnswer, StudentAnswer.attempt_id == QuizAttempt.id)
        .where(StudentAnswer.question_id == question_id, QuizAttempt.status != "in_progress")
        .order_by(QuizAttempt.id).with_for_update()))


def _regrade_attempt(attempt: QuizAttempt, question: Question, now) -> dict | None:
    quiz = attempt.quiz
    marks, answers = attempt_marks(attempt), answers_of(attempt)
    if question.id not in marks or question.id not in answers:
        return None
    before = attempt.score
    auto_grade(answers[question.id], question, marks[question.id][1],
               order=(attempt.option_order or {}).get(question.id), negative_percent=quiz.negative_marking_percent)
    pending = recompute_totals(attempt, quiz.passing_percentage, marks, answers)
    if pending:
        attempt.passed = None  # decided once a teacher has marked everything, as on submit
    if before is not None and attempt.score == before:
        return None
    if attempt.score_before_regrade is None:
        attempt.score_before_regrade = before
    attempt.regraded_at = now
    db.session.flush()
    return {"attempt_id": attempt.id, "quiz_id": attempt.quiz_id, "student_id": attempt.student_id,
            "score_before": None if before is None else float(before), "score_after": float(attempt.score),
            "total_marks": attempt.total_marks, "percentage": float(attempt.percentage)}
