"""Domain events: the one obvious place other modules hook into.

Services call `publish(signal, **payload)` inside the unit of work; the payload is
held until the transaction commits and then sent, so no listener ever sees (or
broadcasts, or e-mails) something that was rolled back. Listeners connect with
`signal.connect(fn)` and receive `fn(sender, **payload)`.
"""
import logging
from types import SimpleNamespace

from blinker import Namespace
from flask import g, has_app_context

log = logging.getLogger(__name__)
signals = Namespace()

# Each signal's payload (keyword arguments; ids are strings, numbers plain floats/ints):
# quiz_published:          quiz_id, actor_id
quiz_published = signals.signal("quiz-published")
# attempt_started:         attempt_id, quiz_id, student_id, student_name, attempt_number,
#                          total_questions, started_at, expires_at
attempt_started = signals.signal("attempt-started")
# answer_saved:            attempt_id, quiz_id, student_id, student_name, question_id,
#                          question_index (the current question after the save, app.attempts.progress),
#                          answered_count, question_count
answer_saved = signals.signal("answer-saved")
# violation_recorded:      attempt_id, quiz_id, student_id, violation_id, violation_type,
#                          severity, total_violations, max_violations, auto_submitted,
#                          flagged (a `flag_only` quiz's threshold was reached just now)
violation_recorded = signals.signal("violation-recorded")
# attempt_submitted:       attempt_id, quiz_id, student_id, status, auto_submit_reason,
#                          score, total_marks, percentage, pending_manual_grading
attempt_submitted = signals.signal("attempt-submitted")
# attempt_updated:         attempt_id, quiz_id, student_id, action ("extended", "force_submitted",
#                          "reopened"), status, expires_at, actor_id, reason — a teacher's
#                          live control changed the attempt's clock or state
attempt_updated = signals.signal("attempt-updated")
# attempt_graded:          attempt_id, quiz_id, student_id, grader_id, score, total_marks,
#                          percentage, fully_graded
attempt_graded = signals.signal("attempt-graded")
# attempt_reset:           quiz_id, student_id, actor_id, additional_attempts, reason
attempt_reset = signals.signal("attempt-reset")
# student_added_to_class:  student_ids (list), class_id, actor_id — one event per class and
#                          operation, so an import of a whole year group is one event per class
student_added_to_class = signals.signal("student-added-to-class")

# access_revoked:          user_id, reason ("logout", "deactivated", "password_changed",
#                          "role_changed") — what the user's live connections were
#                          allowed has ended or changed, so they must end too
access_revoked = signals.signal("access-revoked")

# Sent with `announce`, by code that runs after its own commit (a committed batch of
# notifications being delivered), so that the notifications package never calls the
# transport that pushes them:
# notification_stored:     user_id, notification (the stored row, dumped by NotificationSchema)
notification_stored = signals.signal("notification-stored")
# unread_count_changed:    user_id, unread_count
unread_count_changed = signals.signal("unread-count-changed")
# question_changing:       question_id; sent inside the transaction (`send_in_transaction`)
#                          before a question's edit is checked, so that what other domains
#                          keep about it (a quiz's cached questions) moves in the same commit
question_changing = signals.signal("question-changing")

_fallback_queue: list = []
_fallback_state = SimpleNamespace()


def _queue() -> list:
    if has_app_context():
        if "pending_events" not in g:
            g.pending_events = []
        return g.pending_events
    return _fallback_queue


def publish(signal, **payload) -> None:
    _queue().append((signal, payload))


def announce(signal, **payload) -> None:
    """Send `signal` now: only for callers whose unit of work has already committed."""
    signal.send("app", **payload)


def send_in_transaction(signal, **payload) -> None:
    """Send `signal` now, inside the unit of work: its listeners change only the database,
    and their changes commit or roll back with the caller's. Everything else a change
    causes (pushes, e-mail) waits for the commit through `publish`."""
    signal.send("app", **payload)


def after_commit(fn, *args) -> None:
    """Run `fn(*args)` once the current unit of work has committed (e-mail, pushes)."""
    _queue().append((None, (fn, args)))


def dispatch_pending() -> None:
    # A listener that commits its own unit of work calls this again: that inner call
    # returns at once and the outer loop goes on, so a batch of events (an import of
    # thousands of students) is delivered in order without the stack growing per event.
    owner = g if has_app_context() else _fallback_state
    if getattr(owner, "dispatching_events", False):
        return
    owner.dispatching_events = True
    try:
        queue = _queue()
        while queue:
            signal, payload = queue.pop(0)
            try:
                if signal is None:
                    fn, args = payload
                    fn(*args)
                else:
                    signal.send("app", **payload)
            except Exception:  # a failing listener must not undo a committed request
                log.exception("listener for %s failed", getattr(signal, "name", "after_commit"))
    finally:
        owner.dispatching_events = False


def discard_pending() -> None:
    _queue().clear()
