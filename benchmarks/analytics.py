"""Benchmark the quiz report and the results export on a fresh MariaDB/MySQL database.

Creates a throwaway database, fills it with one quiz of QUESTIONS questions taken by
ATTEMPTS students (every attempt answered and marked, a few violations), then times,
through the Flask test client and the real routes:

  GET /api/analytics/quiz/{id}                       (JSON report)
  GET /api/exports/quiz/{id}/results?format=csv      (one row per attempt)
  GET /api/exports/quiz/{id}/results?format=xlsx
  GET /api/exports/analytics/{id}?format=pdf         (for information; no target)

and prints, per request, the median / min / max wall time over --repeat runs (after one
warm-up) and the number of SQL statements. Target: report and results export each
under 1 s. The database is dropped at the end unless --keep is given.

Usage (from the repository root, MariaDB on 127.0.0.1:3306):
    .venv/bin/python -m benchmarks.analytics
    .venv/bin/python -m benchmarks.analytics --mysql mysql://root@127.0.0.1:3306/ \
        --attempts 500 --questions 20 --repeat 5
Set MYSQL_DRIVER=mysqldb to use mysqlclient instead of PyMySQL.
"""
import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from app import create_app
from benchmarks import harness


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.add_mysql_option(parser)
    parser.add_argument("--attempts", type=int, default=500)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def populate(n_attempts: int, n_questions: int) -> dict:
    """One teacher, one quiz, n_attempts students with one marked attempt each."""
    from app.attempts.models import QuizAttempt, StudentAnswer, Violation
    from app.classes.models import SchoolClass, TeacherClass
    from app.common.clock import utcnow
    from app.common.identifiers import login_key
    from app.extensions import db
    from app.questions.models import Question
    from app.quizzes.models import Quiz, QuizClass, QuizQuestion
    from app.students.models import Student
    from app.teachers.models import Teacher
    from app.users.models import User

    rng = random.Random(42)
    now = utcnow()
    teacher_id = str(uuid.uuid4())
    db.session.execute(insert(User), [{"id": teacher_id, "email": "bench.teacher@school.test",
                                       "email_key": "bench.teacher@school.test", "name": "Bench Teacher",
                                       "role": "teacher", "is_active": True}])
    db.session.execute(insert(Teacher), [{"id": teacher_id, "subject": "Mathematics"}])
    classes = [{"id": str(uuid.uuid4()), "name": f"Year {9 + i // 6}", "section": "ABCDEF"[i % 6],
                "academic_year": "2026-2027"} for i in range(max(1, n_attempts // 30))]
    db.session.execute(insert(SchoolClass), classes)
    db.session.execute(insert(TeacherClass), [{"id": str(uuid.uuid4()), "teacher_id": teacher_id,
                                               "class_id": c["id"]} for c in classes])
    kinds = ["mcq"] * (n_questions - 4) + ["true_false", "true_false", "short_answer", "descriptive"]
    questions = []
    for i, kind in enumerate(kinds[:n_questions]):
        questions.append({
            "id": str(uuid.uuid4()), "text": f"Question {i + 1}: what is {i} + {i}?", "type": kind,
            "topic": ["Algebra", "Geometry", "Number"][i % 3], "difficulty": "medium",
            "marks": 5 if kind == "descriptive" else (1 if kind == "true_false" else 2), "created_by": teacher_id,
            "options": ["A", "B", "C", "D"] if kind == "mcq" else (["True", "False"] if kind == "true_false" else None),
            "correct_answer": 1 if kind in ("mcq", "true_false") else None,
            "accepted_answers": ["forty"] if kind == "short_answer" else None,
            "sample_answer": "Model." if kind == "descriptive" else None, "is_archived": False,
        })
    db.session.execute(insert(Question), questions)
    quiz_id = str(uuid.uuid4())
    db.session.execute(insert(Quiz), [{
        "id": quiz_id, "title": "Benchmark quiz", "subject": "Mathematics", "access_code": "BENCH001",
        "time_limit_minutes": 60, "status": "published", "start_date": now - timedelta(days=1),
        "end_date": now + timedelta(days=1), "created_by": teacher_id, "passing_percentage": 50,
        "max_attempts": 1, "max_violations": 3, "published_at": now - timedelta(days=1)}])
    db.session.execute(insert(QuizQuestion), [{"id": str(uuid.uuid4()), "quiz_id": quiz_id, "question_id": q["id"],
                                               "order_index": i} for i, q in enumerate(questions)])
    db.session.execute(insert(QuizClass), [{"id": str(uuid.uuid4()), "quiz_id": quiz_id, "class_id": c["id"]}
                                           for c in classes])
    total = sum(q["marks"] for q in questions)
    users, students, attempts, answers, violations = [], [], [], [], []
    for s in range(n_attempts):
        sid, aid = str(uuid.uuid4()), str(uuid.uuid4())
        users.append({"id": sid, "email": f"bench{s}@school.test", "email_key": f"bench{s}@school.test",
                      "name": f"Student {s:04d}", "role": "student", "is_active": True})
        students.append({"id": sid, "registration_number": f"BEN{s:05d}",
                         "registration_key": login_key(f"BEN{s:05d}"),
                         "class_id": classes[s % len(classes)]["id"], "is_account_claimed": True})
        ability, score = rng.random(), Decimal(0)
        for q in questions:
            right = rng.random() < 0.25 + 0.7 * ability
            marks = Decimal(q["marks"] if right else 0)
            if q["type"] == "descriptive":
                marks = Decimal(round(q["marks"] * min(1.0, max(0.0, ability + rng.uniform(-0.3, 0.3)))))
            score += marks
            answers.append({
                "id": str(uuid.uuid4()), "attempt_id": aid, "question_id": q["id"],
                "answer_option": (1 if right else 0) if q["options"] else None,
                "answer_text": None if q["options"] else ("forty" if right else "forty-one"),
                "is_correct": right if q["type"] != "descriptive" else None, "marks_awarded": marks,
                "graded_by": teacher_id if q["type"] == "descriptive" else None, "is_final": True,
                "answered_at": now, "updated_at": now,
            })
        n_violations = rng.choice([0, 0, 0, 1, 2])
        for _ in range(n_violations):
            violations.append({"id": str(uuid.uuid4()), "attempt_id": aid, "detected_at": now,
                               "violation_type": rng.choice(["tab_switch", "fullscreen_exit", "focus_lost"])})
        percentage = (score * 100 / total).quantize(Decimal("0.01"))
        attempts.append({
            "id": aid, "quiz_id": quiz_id, "student_id": sid, "attempt_number": 1,
            "started_at": now - timedelta(minutes=50), "deadline_at": now + timedelta(minutes=10),
            "submitted_at": now - timedelta(minutes=rng.randint(1, 40)), "status": "graded",
            "score": score, "total_marks": total, "percentage": percentage, "passed": percentage >= 50,
            "total_violations": n_violations, "question_order": [q["id"] for q in questions],
            "is_reset": False, "additional_attempts_granted": 0, "auto_submitted_due_to_violations": False,
        })
    for model, rows in ((User, users), (Student, students), (QuizAttempt, attempts),
                        (StudentAnswer, answers), (Violation, violations)):
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(model), rows[start:start + 2000])
    db.session.commit()
    return {"quiz_id": quiz_id, "teacher_id": teacher_id, "answers": len(answers)}


def measure(client, engine, path: str, headers: dict, repeat: int) -> dict:
    response = client.get(path, headers=headers)  # warm-up
    assert response.status_code == 200, (path, response.status_code, response.data[:300])
    timings, size = [], len(response.data)
    for _ in range(repeat):
        with harness.counting_statements(engine) as statements:
            start = time.perf_counter()
            response = client.get(path, headers=headers)
            timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    return {"median": statistics.median(timings), "min": min(timings), "max": max(timings),
            "queries": len(statements), "bytes": size}


def main() -> int:
    args = parse_args()
    with harness.throwaway_database(args.mysql, "qms_bench_analytics", keep=args.keep) as url:
        # The testing configuration only relaxes secrets and mail; queries and pooling are production's.
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
        from app.extensions import db

        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            data = populate(args.attempts, args.questions)
            print(f"database {make_url(url).database}: {args.attempts} attempts × {args.questions} questions "
                  f"({data['answers']} answers) generated in {time.perf_counter() - started:.1f} s")
            failed = report(app, data, args.repeat)
            db.session.remove()
            db.engine.dispose()
        return 1 if failed else 0


def report(app, data: dict, repeat: int) -> bool:
    """Each request's timings and statements; whether one missed its target."""
    from app.auth.tokens import issue_token_pair
    from app.common.db import commit
    from app.extensions import db
    from app.users.models import User

    token = issue_token_pair(db.session.get(User, data["teacher_id"]))["access_token"]
    commit()
    db.session.remove()
    headers = {"Authorization": f"Bearer {token}"}
    client, quiz = app.test_client(), data["quiz_id"]
    paths = [("quiz analytics (JSON)", f"/api/analytics/quiz/{quiz}", True),
             ("results export (CSV)", f"/api/exports/quiz/{quiz}/results?format=csv", True),
             ("results export (XLSX)", f"/api/exports/quiz/{quiz}/results?format=xlsx", True),
             ("analytics report (PDF)", f"/api/exports/analytics/{quiz}?format=pdf", False)]
    print(f"{'request':26} {'median':>8} {'min':>8} {'max':>8} {'queries':>8} {'bytes':>9}  target <1 s")
    failed = False
    for label, path, targeted in paths:
        r = measure(client, db.engine, path, headers, repeat)
        verdict = ("ok" if r["median"] < 1 else "MISSED") if targeted else "-"
        failed |= targeted and r["median"] >= 1
        print(f"{label:26} {r['median']:8.3f} {r['min']:8.3f} {r['max']:8.3f} {r['queries']:8d} "
              f"{r['bytes']:9d}  {verdict}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
