"""A small realistic school for `flask seed-demo` and `make run`."""
from datetime import timedelta

from app.auth.passwords import hash_code, hash_password
from app.classes.models import SchoolClass, TeacherClass
from app.common.clock import utcnow
from app.extensions import db
from app.questions.models import Question
from app.quizzes.models import Quiz, QuizClass, QuizQuestion
from app.students.models import Student
from app.teachers.models import Teacher
from app.users.models import User

ADMIN_PASSWORD = "demo-admin-pass"
TEACHER_PASSWORD = "demo-teacher-pass"
STUDENT_PASSWORD = "demo-student-pass"
UNCLAIMED_CLAIM_CODE = "DEMO-CLAIM"
DEMO_LOGINS = [
    ("admin", "admin@school.test", ADMIN_PASSWORD),
    ("teacher", "john.smith@school.test", TEACHER_PASSWORD),
    ("teacher", "amina.haddad@school.test", TEACHER_PASSWORD),
    ("student", "STU2024001", STUDENT_PASSWORD),
    ("unclaimed", "STU2024006", f"claim code {UNCLAIMED_CLAIM_CODE}"),
]
FIRST_NAMES = ["Alice", "Bilal", "Chloé", "Daniel", "Elif", "Fatima", "George", "Hana", "Ivan", "Jun"]
LAST_NAMES = ["Johnson", "Rahman", "Dubois"]


def seed_school() -> None:
    now = utcnow()
    admin = _user("admin@school.test", "School Administrator", "admin", ADMIN_PASSWORD)
    teacher_hash = hash_password(TEACHER_PASSWORD)
    john = _teacher("john.smith@school.test", "John Smith", "Mathematics", teacher_hash)
    amina = _teacher("amina.haddad@school.test", "Amina Haddad", "Science", teacher_hash)
    classes = [
        SchoolClass(name="Class 10", section="A", academic_year="2026-2027", created_by=admin.id),
        SchoolClass(name="Class 10", section="B", academic_year="2026-2027", created_by=admin.id),
        SchoolClass(name="Class 11", section="A", academic_year="2026-2027", created_by=admin.id),
    ]
    db.session.add_all(classes)
    db.session.flush()
    db.session.add_all([
        TeacherClass(teacher_id=john.id, class_id=classes[0].id),
        TeacherClass(teacher_id=john.id, class_id=classes[1].id),
        TeacherClass(teacher_id=amina.id, class_id=classes[2].id),
        TeacherClass(teacher_id=amina.id, class_id=classes[0].id),
    ])
    _students(classes, now)
    math_questions = _math_questions(john.id)
    science_questions = _science_questions(amina.id)
    db.session.flush()
    _quiz(john.id, "Algebra Basics", "Mathematics", "ALG10A", "published", math_questions,
          [classes[0], classes[1]], now - timedelta(days=1), now + timedelta(days=14))
    _quiz(john.id, "Geometry Mid-term", "Mathematics", "GEO10X", "draft", math_questions[:2],
          [classes[0]], now + timedelta(days=7), now + timedelta(days=8))
    _quiz(amina.id, "Cells and Organisms", "Science", "BIO11A", "published", science_questions,
          [classes[2], classes[0]], now - timedelta(hours=2), now + timedelta(days=7))
    _quiz(amina.id, "Last Term's Revision", "Science", "REV09Z", "archived", science_questions[:2],
          [classes[2]], now - timedelta(days=90), now - timedelta(days=60))
    db.session.flush()


def _user(email, name, role, password=None, password_hash=None) -> User:
    user = User(email=email, name=name, role=role, is_active=True, is_email_verified=True,
                password_hash=password_hash or (hash_password(password) if password else None))
    db.session.add(user)
    db.session.flush()
    return user


def _teacher(email, name, subject, password_hash) -> User:
    user = _user(email, name, "teacher", password_hash=password_hash)
    db.session.add(Teacher(id=user.id, subject=subject, department=subject))
    return user


def _students(classes, now) -> None:
    student_hash = hash_password(STUDENT_PASSWORD)
    claim_hash = hash_code(UNCLAIMED_CLAIM_CODE)
    for n in range(30):
        number = f"STU2024{n + 1:03d}"
        name = f"{FIRST_NAMES[n % 10]} {LAST_NAMES[n // 10]}"
        claimed = n % 10 < 5
        user = User(email=f"{number.lower()}@student.school.test", name=name, role="student",
                    is_active=True, password_hash=student_hash if claimed else None)
        db.session.add(user)
        db.session.flush()
        db.session.add(Student(
            id=user.id, registration_number=number,
            class_id=classes[n // 10].id, is_account_claimed=claimed,
            claimed_at=now if claimed else None,
            claim_code_hash=None if claimed else claim_hash,
            claim_code_created_at=None if claimed else now,
            parent_email=f"parent.{number.lower()}@family.test",
        ))


def _math_questions(teacher_id) -> list[Question]:
    questions = [
        Question(text="What is 7 × 8?", type="mcq", topic="Arithmetic", difficulty="easy", marks=2,
                 options=["54", "56", "58", "64"], correct_answer=1, created_by=teacher_id),
        Question(text="Solve for x: 2x + 3 = 11", type="mcq", topic="Algebra", difficulty="medium", marks=3,
                 options=["3", "4", "5", "7"], correct_answer=1, created_by=teacher_id),
        Question(text="Every square is a rectangle.", type="true_false", topic="Geometry", difficulty="easy",
                 marks=1, options=["True", "False"], correct_answer=0, created_by=teacher_id),
        Question(text="What is the square root of 144?", type="short_answer", topic="Arithmetic",
                 difficulty="easy", marks=2, accepted_answers=["12", "twelve"], created_by=teacher_id),
        Question(text="Explain why the sum of the angles of a triangle is 180°.", type="descriptive",
                 topic="Geometry", difficulty="hard", marks=5,
                 sample_answer="Draw a line through one vertex parallel to the opposite side...",
                 marking_rubric="2 marks for the parallel line, 3 for the alternate angles argument.",
                 created_by=teacher_id),
    ]
    db.session.add_all(questions)
    return questions


def _science_questions(teacher_id) -> list[Question]:
    questions = [
        Question(text="Which organelle produces most of a cell's energy?", type="mcq", topic="Cells",
                 difficulty="easy", marks=2, options=["Nucleus", "Mitochondrion", "Ribosome"],
                 correct_answer=1, created_by=teacher_id),
        Question(text="Plant cells have a cell wall.", type="true_false", topic="Cells", difficulty="easy",
                 marks=1, options=["True", "False"], correct_answer=0, created_by=teacher_id),
        Question(text="Name the process by which plants make food from light.", type="short_answer",
                 topic="Plants", difficulty="medium", marks=2, accepted_answers=["photosynthesis"],
                 created_by=teacher_id),
        Question(text="Describe the role of the cell membrane.", type="descriptive", topic="Cells",
                 difficulty="medium", marks=4, sample_answer="It controls what enters and leaves the cell.",
                 marking_rubric="2 marks for selective permeability, 2 for an example.",
                 created_by=teacher_id),
    ]
    db.session.add_all(questions)
    return questions


def _quiz(teacher_id, title, subject, code, status, questions, classes, start, end) -> Quiz:
    quiz = Quiz(title=title, subject=subject, description=f"{title} for {subject}", access_code=code,
                time_limit_minutes=30, status=status, start_date=start, end_date=end,
                created_by=teacher_id, passing_percentage=50, max_attempts=2,
                published_at=utcnow() if status != "draft" else None)
    db.session.add(quiz)
    db.session.flush()
    for index, question in enumerate(questions):
        db.session.add(QuizQuestion(quiz_id=quiz.id, question_id=question.id, order_index=index))
    for school_class in classes:
        db.session.add(QuizClass(quiz_id=quiz.id, class_id=school_class.id))
    return quiz
