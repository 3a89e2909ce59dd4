"""`search` is text, never a LIKE pattern: `%` and `_` match only themselves, on every list.

The lists are found in the OpenAPI document, so a new list that takes `search` must be
added here; each is asked as a caller who sees some of its items.
"""
from sqlalchemy import select

from app.attempts.models import StudentAnswer
from app.extensions import db
from tests.factories import make_student, make_teacher
from tests.security.world import build_world

# Every list taking `search`: who asks it, and the objects named in its path.
LISTS = {
    "/api/users": ("admin", {}),
    "/api/students": ("admin", {}),
    "/api/teachers": ("admin", {}),
    "/api/teachers/{teacher_id}/classes": ("admin", {"teacher_id": "teacher"}),
    "/api/teachers/{teacher_id}/students": ("admin", {"teacher_id": "teacher"}),
    "/api/classes": ("admin", {}),
    "/api/questions": ("admin", {}),
    "/api/quizzes": ("admin", {}),
    "/api/quizzes/{quiz_id}/overrides": ("admin", {"quiz_id": "quiz"}),
    "/api/attempts": ("admin", {}),
    "/api/grading/pending": ("admin", {}),
    "/api/grading/graded": ("admin", {}),
    "/api/notifications": ("admin", {}),
}


def _lists_taking_search(client) -> set[str]:
    spec = client.get("/api/openapi.json").get_json()
    return {path for path, operations in spec["paths"].items()
            if any(parameter["name"] == "search" for parameter in operations.get("get", {}).get("parameters", []))}


# Settings whose every value holds a `_` (`auto_submit`, `flag_only`): no search reads them.
ENUM_SETTINGS = {"violation_action"}


def _strings(value):
    """An item's text and that of the objects it names (its quiz, its student), not its lists."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key not in ENUM_SETTINGS:
                yield from _strings(inner)
    elif isinstance(value, str):
        yield value


def _shows(item: dict, text: str) -> bool:
    return any(text in value for value in _strings(item))


def _grade_one(client, world) -> None:
    """So that the graded list has an item to hide."""
    attempt = world.get("attempt", "a")
    answers = db.session.scalars(select(StudentAnswer.id).where(StudentAnswer.attempt_id == attempt.id))
    response = client.post(f"/api/grading/attempts/{attempt.id}/grade", headers=world.headers("admin"),
                           json={"grades": [{"answer_id": answer, "marks_awarded": 0} for answer in answers]})
    assert response.status_code == 200, response.get_json()


# Downloads that select with a list's own query, probed in their domain's tests.
SAME_QUERY_AS_A_LIST = {
    "/api/questions/export": "/api/questions",  # tests/questions/test_question_files.py
}


def test_every_list_taking_search_is_probed(client):
    assert _lists_taking_search(client) == set(LISTS) | set(SAME_QUERY_AS_A_LIST)


def test_a_search_for_a_wildcard_matches_only_that_character(client):
    world = build_world()
    _grade_one(client, world)
    # Names, e-mails and numbers without a `_`, for the lists of people to hide.
    make_teacher(classes=[world.get("class", "a")])
    make_student(world.get("class", "a"))
    wrong = []
    for template, (role, objects) in LISTS.items():
        url = template.format(**{name: world.get(kind, "a").id for name, kind in objects.items()})

        def items(search=None, url=url, role=role):
            response = client.get(url, query_string={"search": search} if search else {},
                                  headers=world.headers(role))
            assert response.status_code == 200, (url, response.get_json())
            return response.get_json()["items"]

        everything = items()
        for wildcard in ("%", "_"):
            assert any(not _shows(item, wildcard) for item in everything), f"{url}: nothing to hide from {wildcard}"
            if not all(_shows(item, wildcard) for item in items(wildcard)):
                wrong.append(f"{url}?search={wildcard}")
    assert wrong == []
