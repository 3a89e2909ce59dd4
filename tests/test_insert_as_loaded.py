"""`insert_as_loaded`: one INSERT for a new row, and its object in the session as if loaded.

The start of an attempt uses it (tests/attempts/test_start_cost.py counts the statements
of a start); here, what it promises and where it refuses.
"""
import uuid

import pytest
from sqlalchemy import event, func, inspect, select

from app.common.audit import AuditLog
from app.common.db import commit, insert_as_loaded
from app.extensions import db


def _rows(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))


def test_the_row_gets_its_column_defaults_and_the_object_holds_what_was_inserted(app, count_queries):
    with count_queries() as counted:
        entry = insert_as_loaded(AuditLog, {"action": "inserted-as-loaded", "entity_type": "quiz"})
    assert [s.split()[0].upper() for s in counted.statements] == ["INSERT"]
    assert uuid.UUID(entry.id) and entry.created_at is not None  # the model's defaults, as a flush applies them
    with count_queries() as counted:
        assert (entry.action, entry.entity_type, entry.ip_address) == ("inserted-as-loaded", "quiz", None)
    assert counted.statements == []  # every column is loaded: nothing to fetch
    stored = db.session.execute(select(AuditLog.id, AuditLog.created_at, AuditLog.entity_type)
                                .where(AuditLog.action == "inserted-as-loaded")).one()
    assert stored == (entry.id, entry.created_at.replace(tzinfo=stored.created_at.tzinfo), "quiz")


def test_the_object_is_persistent_with_nothing_pending(app, count_queries):
    entry = insert_as_loaded(AuditLog, {"action": "inserted-as-loaded"})
    state = inspect(entry)
    assert state.persistent and not state.modified
    assert db.session.get(AuditLog, entry.id) is entry
    assert entry not in db.session.new and entry not in db.session.dirty
    with count_queries() as counted:
        commit()
    assert counted.statements == []  # the commit writes nothing more: no second INSERT, no UPDATE
    assert _rows("inserted-as-loaded") == 1


def test_a_later_change_to_the_object_is_flushed_as_an_update(app):
    entry = insert_as_loaded(AuditLog, {"action": "inserted-as-loaded"})
    entry.entity_type = "changed"
    commit()
    db.session.expire_all()
    assert db.session.get(AuditLog, entry.id).entity_type == "changed"
    assert _rows("inserted-as-loaded") == 1


def test_a_rolled_back_insert_leaves_no_row(app):
    insert_as_loaded(AuditLog, {"action": "inserted-as-loaded"})
    db.session.rollback()
    assert _rows("inserted-as-loaded") == 0


def test_a_model_with_insert_listeners_is_refused(app):
    """A flush would run the listener and this shortcut would not: misuse fails loudly."""
    def listener(_mapper, _connection, _target):
        pass

    event.listen(AuditLog, "before_insert", listener)
    try:
        with pytest.raises(TypeError, match="insert listeners"):
            insert_as_loaded(AuditLog, {"action": "inserted-as-loaded"})
    finally:
        event.remove(AuditLog, "before_insert", listener)
    assert _rows("inserted-as-loaded") == 0
