"""Notification templates (seed 000 §2.2), one per event that notifies someone.

`type` is what clients switch on; several templates may share one (the teacher's and
the student's copy of an auto-submission). High priority ones are also e-mailed.
"""
TEMPLATES = {
    "quiz_published": {
        "type": "quiz_published", "priority": "medium", "category": "quiz",
        "title": "New Quiz Available: {quiz_title}",
        "message": "A new quiz '{quiz_title}' for {subject} has been published and is now available.",
    },
    "quiz_starting_soon": {
        "type": "quiz_starting_soon", "priority": "high", "category": "quiz",
        "title": "Quiz Starting Soon",
        "message": "Quiz '{quiz_title}' will start in {time_until}. Make sure you're prepared!",
    },
    "quiz_deadline_approaching": {
        "type": "quiz_deadline_approaching", "priority": "high", "category": "quiz",
        "title": "Quiz Deadline Approaching",
        "message": "Quiz '{quiz_title}' deadline is in {time_remaining}. Don't forget to complete it!",
    },
    "attempt_graded": {
        "type": "attempt_graded", "priority": "medium", "category": "grade",
        "title": "Quiz Graded: {quiz_title}",
        "message": "Your submission for '{quiz_title}' has been graded. "
                   "Score: {score}/{total_marks} ({percentage}%)",
    },
    "attempt_regraded": {
        "type": "attempt_regraded", "priority": "medium", "category": "grade",
        "title": "Quiz Regraded: {quiz_title}",
        "message": "A question of '{quiz_title}' was regraded. "
                   "Your score is now {score}/{total_marks} ({percentage}%), was {score_before}.",
    },
    "attempt_reset": {
        "type": "attempt_reset", "priority": "high", "category": "attempt_reset",
        "title": "Quiz Attempt Reset",
        "message": "Your teacher has granted you {additional_attempts} additional attempt(s) "
                   "for '{quiz_title}'. Reason: {reason}",
    },
    "attempt_auto_submitted": {
        "type": "attempt_auto_submitted", "priority": "high", "category": "violation",
        "title": "Quiz Auto-Submitted",
        "message": "Your quiz '{quiz_title}' was automatically submitted due to {cause}.",
    },
    "attempt_auto_submitted_teacher": {
        "type": "attempt_auto_submitted", "priority": "high", "category": "violation",
        "title": "Attempt Auto-Submitted: {quiz_title}",
        "message": "{student_name}'s attempt at '{quiz_title}' was automatically submitted due to {cause}.",
    },
    "attempt_flagged_teacher": {
        "type": "attempt_flagged", "priority": "high", "category": "violation",
        "title": "Attempt Flagged for Review: {quiz_title}",
        "message": "{student_name} reached {total_violations} violation(s) in '{quiz_title}'. "
                   "The attempt goes on; review it when you can.",
    },
    "violation_warning": {
        "type": "violation_warning", "priority": "high", "category": "violation",
        "title": "Violation Detected",
        "message": "Warning: {violation_label} detected during '{quiz_title}'. "
                   "Total violations: {total_violations}/{max_violations}",
    },
    "grade_pending_review": {
        "type": "grade_pending_review", "priority": "medium", "category": "grade",
        "title": "New Submission to Grade",
        "message": "{student_name} has submitted '{quiz_title}' and requires manual grading.",
    },
    "student_added": {
        "type": "student_added", "priority": "low", "category": "system",
        "title": "New Student Added",
        "message": "{student_name} has been added to your class '{class_name}'.",
    },
    "students_added": {
        "type": "student_added", "priority": "low", "category": "system",
        "title": "New Students Added",
        "message": "{count} students have been added to your class '{class_name}'.",
    },
    # A teacher's broadcast to a class (seed 003): title and message are the teacher's.
    "class_broadcast": {
        "type": "{kind}", "priority": "{priority}", "category": "system",
        "title": "{title}", "message": "{message}",
    },
}

BROADCAST_KINDS = ("announcement", "content", "assignment", "schedule")
# Every `type` a stored notification can have: each template's, and a broadcast's kind.
NOTIFICATION_TYPES = tuple(sorted(
    {t["type"] for t in TEMPLATES.values() if "{" not in t["type"]} | set(BROADCAST_KINDS)))


def render(key: str, context: dict) -> dict:
    template = TEMPLATES[key]
    # str.format on a template, never on user input: user text only fills the fields.
    return {field: template[field].format(**context) for field in ("type", "priority", "category",
                                                                     "title", "message")}


def describe_duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} hours"
    return f"{round(hours / 24)} days"
