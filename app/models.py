"""Every model, imported once so that Alembic and the app see the whole schema."""
from app.attempts.models import AttemptHistory, QuizAttempt, StudentAnswer, Violation
from app.auth.models import PasswordResetToken, RefreshToken, TokenBlocklist
from app.classes.models import SchoolClass, TeacherClass
from app.common.audit import AuditLog
from app.common.idempotency import IdempotencyKey
from app.notifications.models import Notification, NotificationEvent
from app.questions.models import Question
from app.quizzes.models import Quiz, QuizClass, QuizOverride, QuizQuestion
from app.students.models import Student, StudentAccommodation
from app.teachers.models import Teacher
from app.users.models import User

__all__ = [
    "AttemptHistory", "AuditLog", "IdempotencyKey", "Notification", "NotificationEvent", "PasswordResetToken",
    "Question", "Quiz", "QuizAttempt", "QuizClass", "QuizOverride", "QuizQuestion", "RefreshToken",
    "SchoolClass", "Student", "StudentAccommodation", "StudentAnswer", "Teacher", "TeacherClass", "TokenBlocklist",
    "User", "Violation",
]
