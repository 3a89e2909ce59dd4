"""Analytics payloads. `*_score` fields are percentages (0–100); `*_marks` are marks."""
from marshmallow import Schema, fields

from app.attempts.models import ATTEMPT_STATUSES
from app.common.schemas import OPTIONAL, DateTimeZ, Decimal2
from app.questions.models import DIFFICULTIES, QUESTION_TYPES
from app.quizzes.models import QUIZ_STATUSES


class AnalyticsRef(Schema):
    """A quiz, student or teacher named in a report: `id` and the fields of its kind."""

    id = fields.String()
    name = fields.String(metadata=OPTIONAL)
    title = fields.String(metadata=OPTIONAL)
    subject = fields.String(metadata=OPTIONAL)
    status = fields.String(metadata={"enum": list(QUIZ_STATUSES), **OPTIONAL})
    registration_number = fields.String(metadata=OPTIONAL)
    class_name = fields.String(allow_none=True, metadata=OPTIONAL)
    class_id = fields.String(allow_none=True, metadata=OPTIONAL)


class SummaryFields(Schema):
    total_attempts = fields.Integer(metadata={"description": "Finished, non-reset attempts"})
    total_students = fields.Integer()
    in_progress = fields.Integer()
    pending_grading = fields.Integer(metadata={"description": "Counted attempts still waiting for marks"})
    average_score = Decimal2(allow_none=True, metadata={"description": "Average percentage"})
    average_marks = Decimal2(allow_none=True)
    highest_score = Decimal2(allow_none=True)
    lowest_score = Decimal2(allow_none=True)
    passed_count = fields.Integer()
    failed_count = fields.Integer()
    pass_rate = Decimal2(allow_none=True)


class ScoreBucketSchema(Schema):
    range = fields.String()
    min = fields.Integer()
    max = fields.Integer()
    count = fields.Integer()


class ViolationSummarySchema(Schema):
    total_violations = fields.Integer()
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    attempts_with_violations = fields.Integer()
    auto_submitted_for_violations = fields.Integer()


class ReviewSummarySchema(Schema):
    """The quiz's attempts by integrity review status (teachers and admins only)."""

    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "not_reviewed, clean, suspicious, violation_confirmed → attempts (reset ones left out)"})
    flagged_for_review = fields.Integer(required=True,
                                        metadata={"description": "Attempts a flag_only threshold flagged."})


class AttemptActivitySchema(Schema):
    attempt_id = fields.String()
    quiz = fields.Nested(AnalyticsRef)
    student = fields.Nested(AnalyticsRef)
    status = fields.String(metadata={"enum": list(ATTEMPT_STATUSES)})
    attempt_number = fields.Integer()
    score = Decimal2(allow_none=True)
    total_marks = fields.Integer(allow_none=True)
    percentage = Decimal2(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    started_at = DateTimeZ()
    submitted_at = DateTimeZ(allow_none=True)
    activity_at = DateTimeZ()


class SubjectPerformanceSchema(Schema):
    subject = fields.String()
    attempts = fields.Integer()
    quizzes = fields.Integer()
    average_score = Decimal2(allow_none=True)
    best_score = Decimal2(allow_none=True)
    passed_count = fields.Integer()
    pass_rate = Decimal2(allow_none=True)


class StudentPerformanceSchema(Schema):
    student = fields.Nested(AnalyticsRef)
    attempts = fields.Integer()
    best_score = Decimal2(allow_none=True)
    average_score = Decimal2(allow_none=True)
    best_marks = Decimal2(allow_none=True)
    passed = fields.Boolean()
    pending_grading = fields.Integer()
    last_submitted_at = DateTimeZ(allow_none=True)


class AnalyticsQuestionSchema(Schema):
    id = fields.String()
    text = fields.String()
    type = fields.String(metadata={"enum": list(QUESTION_TYPES)})
    topic = fields.String(allow_none=True)
    difficulty = fields.String(allow_none=True, metadata={"enum": list(DIFFICULTIES)})
    marks = fields.Integer()


class QuestionStatisticsSchema(Schema):
    number = fields.Integer()
    question = fields.Nested(AnalyticsQuestionSchema)
    attempts = fields.Integer()
    answered_count = fields.Integer()
    graded_count = fields.Integer()
    pending_count = fields.Integer()
    correct_count = fields.Integer(metadata={"description": "Full marks"})
    partially_correct_count = fields.Integer()
    incorrect_count = fields.Integer(metadata={"description": "Zero marks (unanswered included)"})
    success_rate = Decimal2(allow_none=True)
    average_marks = Decimal2(allow_none=True)
    facility_index = Decimal2(allow_none=True, metadata={"description": "Mean mark / max × 100"})
    discrimination_index = Decimal2(allow_none=True, metadata={
        "description": "100 × correlation of the question's marks with the rest of the quiz"})


class TopicPerformanceSchema(Schema):
    topic = fields.String()
    questions = fields.Integer()
    facility_index = Decimal2(allow_none=True)


class AnalyticsQuizSchema(Schema):
    id = fields.String()
    title = fields.String()
    subject = fields.String()
    status = fields.String(metadata={"enum": list(QUIZ_STATUSES)})
    passing_percentage = fields.Integer()
    question_count = fields.Integer()
    total_marks = fields.Integer()
    start_date = DateTimeZ(allow_none=True)
    end_date = DateTimeZ(allow_none=True)


class TimeUsageSchema(Schema):
    """Finished attempts' durations, each measured against its student's effective time limit."""

    timed_attempts = fields.Integer(required=True)
    average_minutes = Decimal2(required=True, allow_none=True)
    average_time_used_percent = Decimal2(
        required=True, allow_none=True,
        metadata={"description": "Mean of each attempt's minutes ÷ its student's effective limit × 100"})
    attempts_with_extra_time = fields.Integer(
        required=True, metadata={"description": "Attempts whose student had more than the quiz's limit"})
    attempts_over_time_limit = fields.Integer(
        required=True, metadata={"description": "Attempts that ran past their student's effective limit"})
    over_time_limit_rate = Decimal2(required=True, allow_none=True)


class QuizAnalyticsSchema(SummaryFields):
    quiz = fields.Nested(AnalyticsQuizSchema)
    score_distribution = fields.List(fields.Nested(ScoreBucketSchema))
    question_statistics = fields.List(fields.Nested(QuestionStatisticsSchema))
    performance_by_topic = fields.List(fields.Nested(TopicPerformanceSchema))
    student_performance = fields.List(fields.Nested(StudentPerformanceSchema))
    violation_summary = fields.Nested(ViolationSummarySchema)
    time_usage = fields.Nested(TimeUsageSchema)
    integrity_review = fields.Nested(ReviewSummarySchema)
    recent_activity = fields.List(fields.Nested(AttemptActivitySchema))
    generated_at = DateTimeZ()


class TeacherStatSchema(Schema):
    teacher = fields.Nested(AnalyticsRef)
    quizzes = fields.Integer()
    attempts = fields.Integer()
    average_score = Decimal2(allow_none=True)
    pass_rate = Decimal2(allow_none=True)


class QuizPerformanceSchema(Schema):
    quiz = fields.Nested(AnalyticsRef)
    attempts = fields.Integer()
    average_score = Decimal2(allow_none=True)
    pass_rate = Decimal2(allow_none=True)


class AdminAnalyticsSchema(SummaryFields):
    total_users = fields.Dict(keys=fields.String(), values=fields.Integer())
    total_quizzes = fields.Integer()
    active_quizzes = fields.Integer()
    quizzes_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    score_distribution = fields.List(fields.Nested(ScoreBucketSchema))
    recent_activity = fields.List(fields.Nested(AttemptActivitySchema))
    top_students = fields.List(fields.Nested(StudentPerformanceSchema))
    teacher_stats = fields.List(fields.Nested(TeacherStatSchema))
    performance_by_subject = fields.List(fields.Nested(SubjectPerformanceSchema))
    violation_summary = fields.Nested(ViolationSummarySchema)
    generated_at = DateTimeZ()


class TeacherAnalyticsSchema(SummaryFields):
    teacher = fields.Nested(AnalyticsRef)
    my_quizzes = fields.Integer()
    active_quizzes = fields.Integer()
    quizzes_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    my_classes = fields.Integer()
    my_students = fields.Integer()
    recent_attempts = fields.List(fields.Nested(AttemptActivitySchema))
    quiz_performance = fields.List(fields.Nested(QuizPerformanceSchema))
    performance_by_subject = fields.List(fields.Nested(SubjectPerformanceSchema))
    violation_summary = fields.Nested(ViolationSummarySchema)
    generated_at = DateTimeZ()


class StudentAnalyticsSchema(SummaryFields):
    student = fields.Nested(AnalyticsRef)
    quizzes_passed = fields.Integer()
    quizzes_failed = fields.Integer()
    recent_results = fields.List(fields.Nested(AttemptActivitySchema))
    performance_by_subject = fields.List(fields.Nested(SubjectPerformanceSchema))
    violation_summary = fields.Nested(ViolationSummarySchema)
    generated_at = DateTimeZ()
