"""What each attempt shows, decided once at its start: its draws from the quiz's pools,
the order of its questions and of each question's choices, and each answer's shape."""
import secrets

from app.quizzes import display, shown

_random = secrets.SystemRandom()


def draw_questions(quiz) -> list:
    """This attempt's own questions from each pool (app.quizzes.pools): (question, marks) pairs.
    Pools never share a candidate, so nothing is drawn twice."""
    if not quiz.question_pools:
        return []
    candidates = shown.pool_candidates(quiz)
    drawn = []
    for index, pool in enumerate(quiz.question_pools):
        available = candidates.get(index, [])
        drawn += [(question, question.marks) for question in
                  _random.sample(available, min(pool["count"], len(available)))]
    return drawn


def decide_order(quiz, questions: list) -> tuple[list, dict, dict]:
    """Question ids in display order, each question's original choice indexes in display
    order, and the response shape of each question answered with `response`.

    Matching and ordering are always shuffled: their stored order is their key
    (app.quizzes.display)."""
    question_order = [question.id for question, _marks in questions]
    if quiz.randomize_questions:
        _random.shuffle(question_order)
    option_order, answer_forms = {}, {}
    for question, _marks in questions:
        count = len(question.options or [])
        if count:
            indexes = list(range(count))
            if quiz.randomize_options or question.type in display.POSITIONAL_TYPES:
                _random.shuffle(indexes)
            option_order[question.id] = indexes
        form = display.answer_form(question.type, question.options or [], question.extra)
        if form:
            answer_forms[question.id] = form
    return question_order, option_order, answer_forms
