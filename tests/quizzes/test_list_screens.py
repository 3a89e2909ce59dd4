"""Each quiz list is its screen in one call: a teacher's counts, a student's latest attempt."""
from decimal import Decimal

from app.common.clock import isoformat
from tests.factories import auth, make_attempt, make_class, make_question, make_quiz, make_student, make_teacher


def quizzes(client, user, limit=20) -> dict:
    page = client.get(f"/api/quizzes?limit={limit}", headers=auth(user)).get_json()
    return {item["id"]: item for item in page["items"]}


def test_a_teachers_list_counts_attempts_in_progress_and_to_grade(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    busy, quiet = (make_quiz(teacher, questions=[make_question(teacher)], classes=[school_class]) for _ in range(2))
    students = [make_student(school_class) for _ in range(4)]
    make_attempt(busy, students[0], status="in_progress")
    make_attempt(busy, students[1], status="submitted", score=Decimal(1))
    make_attempt(busy, students[2], status="graded", score=Decimal(2))
    make_attempt(busy, students[3], status="graded", is_reset=True)
    listed = quizzes(client, teacher)
    assert (listed[busy.id]["attempt_count"], listed[busy.id]["in_progress_count"],
            listed[busy.id]["pending_grading_count"]) == (3, 1, 1)
    assert (listed[quiet.id]["attempt_count"], listed[quiet.id]["in_progress_count"],
            listed[quiet.id]["pending_grading_count"]) == (0, 0, 0)


def test_a_students_list_shows_the_latest_attempt_and_pending_marks(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    marked, waiting, fresh = (make_quiz(teacher, questions=[make_question(teacher)], classes=[school_class],
                                        max_attempts=3) for _ in range(3))
    make_attempt(marked, student, status="graded", score=Decimal(2), percentage=Decimal(100))
    make_attempt(waiting, student, status="graded", attempt_number=1, score=Decimal(1), percentage=Decimal(50))
    latest = make_attempt(waiting, student, status="submitted", attempt_number=2, score=Decimal(2),
                          percentage=Decimal(60))
    listed = quizzes(client, student)
    assert listed[marked.id]["grading_pending"] is False
    assert listed[marked.id]["best_percentage_provisional"] is False
    assert listed[marked.id]["latest_attempt"]["status"] == "graded"
    shown = listed[waiting.id]["latest_attempt"]
    assert shown == {"id": latest.id, "status": "submitted", "submitted_at": isoformat(latest.submitted_at)}
    assert listed[waiting.id]["grading_pending"] is True
    assert (listed[waiting.id]["best_percentage"], listed[waiting.id]["best_percentage_provisional"]) == (60, True)
    assert listed[fresh.id]["latest_attempt"] is None and listed[fresh.id]["grading_pending"] is False


def test_the_new_list_fields_cost_no_query_per_quiz(client, count_queries):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student, other = make_student(school_class), make_student(school_class)
    question = make_question(teacher)
    for n in range(12):
        quiz = make_quiz(teacher, questions=[question], classes=[school_class])
        make_attempt(quiz, student, status=("in_progress", "submitted", "graded")[n % 3], score=Decimal(n))
        make_attempt(quiz, other, status="submitted", score=Decimal(1))
    for user in (teacher, student):
        counts = {}
        for limit in (1, 12):
            with count_queries() as counted:
                assert len(quizzes(client, user, limit)) == limit
            counts[limit] = counted.count
        assert counts[1] == counts[12], (user.role, counts)


def test_a_students_counts_use_the_seed_names_with_the_old_ones_as_aliases(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    quiz = make_quiz(teacher, questions=[make_question(teacher)], classes=[school_class], max_attempts=3)
    make_attempt(quiz, student, status="graded", score=Decimal(1))
    item = quizzes(client, student)[quiz.id]
    assert (item["remaining_attempts"], item["used_attempts"], item["max_attempts"]) == (2, 1, 3)
    assert (item["attempts_remaining"], item["attempts_used"]) == (2, 1)


def test_the_document_marks_every_kept_alias_deprecated(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    aliases = {"StudentQuiz": ("attempts_remaining", "attempts_used"),
               "Available": ("attempts_remaining", "max_attempts"),
               "Violation": ("type",), "Notification": ("link",),
               "GradingAnswer": ("student_answer", "current_marks", "current_feedback"),
               "BulkCreateResult": ("created_count", "failed_count"), "ItemError": ("error",),
               "StudentImportError": ("error",)}
    for schema, fields in aliases.items():
        for field in fields:
            assert schemas[schema]["properties"][field].get("deprecated") is True, (schema, field)
    assert "deprecated" not in schemas["StudentQuiz"]["properties"]["remaining_attempts"]
