"""The quizzes package's reactions to other domains' changes, inside their transaction."""
from app.common import events
from app.quizzes import shown


def on_question_changing(_sender, *, question_id: str) -> None:
    """A question's edit changes what every quiz showing it shows: their cached questions
    move to a new version, before the edit checks for attempts (as app.quizzes.shown says)."""
    shown.bump_versions(shown.quiz_ids_showing(question_id))


def connect() -> None:
    events.question_changing.connect(on_question_changing, weak=False)
