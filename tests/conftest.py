"""Shared fixtures: one app and schema per session, tables emptied after each test.

The suite runs on a SQLite file by default; with TEST_DATABASE_URL set to a
MySQL/MariaDB server URL it creates a throwaway database there and drops it after.
"""
import os
import tempfile
from types import SimpleNamespace

import pytest

from app import create_app
from app.common import clock
from app.extensions import db
from tests.factories import make_admin, make_class, make_question, make_student, make_teacher
from tests.helpers import QueryCounter, empty_database, throwaway_database

MYSQL_ONLY = "needs MySQL/MariaDB semantics (row locks, concurrent transactions): set TEST_DATABASE_URL"


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.mysql_only(reason=...)` skips a test on SQLite, saying why."""
    if os.environ.get("TEST_DATABASE_URL"):
        return
    for item in items:
        marker = item.get_closest_marker("mysql_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", MYSQL_ONLY)))


@pytest.fixture(scope="session")
def database_url():
    if os.environ.get("TEST_DATABASE_URL"):
        url, drop = throwaway_database(os.environ["TEST_DATABASE_URL"], "qms_test")
        yield url
        drop()
    else:
        folder = tempfile.mkdtemp(prefix="qms-test-")
        yield f"sqlite:///{folder}/test.db"


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request, app):
    yield
    clock.set_frozen(None)
    empty_database()


@pytest.fixture
def is_mysql(app):
    return db.engine.dialect.name in ("mysql", "mariadb")


@pytest.fixture
def count_queries(app):
    return QueryCounter(db.engine)


@pytest.fixture
def school(app):
    """The school every domain's tests share: an admin; classes 10 A and 10 B, each with
    its teacher and one student; and teacher A's question bank, one question of each kind
    (`school.q.mcq`, `.tf`, `.short`, `.essay`, worth 2, 1, 3 and 4 marks).

    Teacher B and class B are the "someone else's" side of every object-level check.
    A module that needs more (a third class, unclaimed students) adds it in its own
    fixture on top of this one."""
    class_a, class_b = make_class("Class 10", section="A"), make_class("Class 10", section="B")
    teacher_a = make_teacher(classes=[class_a], name="John Teacher")
    return SimpleNamespace(
        admin=make_admin(), class_a=class_a, class_b=class_b, teacher_a=teacher_a,
        teacher_b=make_teacher(classes=[class_b], name="Amina Haddad"),
        student_a=make_student(class_a, name="Alice Johnson", registration_number="STU2024001"),
        student_b=make_student(class_b, name="Bilal Rahman", registration_number="STU2024002"),
        q=SimpleNamespace(
            mcq=make_question(teacher_a, type="mcq", marks=2, options=["red", "green", "blue", "grey"],
                              correct_answer=1),
            tf=make_question(teacher_a, type="true_false", marks=1),
            short=make_question(teacher_a, type="short_answer", marks=3, accepted_answers=["Photosynthesis"]),
            essay=make_question(teacher_a, type="descriptive", marks=4, sample_answer="SAMPLE-ESSAY-ANSWER",
                                marking_rubric="RUBRIC-SECRET"),
        ),
    )
