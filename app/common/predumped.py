"""A response list whose items are already in their dumped form: the one such shortcut.

Dumping the thirty questions of a start response through marshmallow costs more than
building them, and a whole year group starts at the bell. `PreDumpedList` documents
its items with their schema, like `fields.List(fields.Nested(schema))`, but passes
them through as they are.

When it may be used: only for items built in one place with exactly the keys the item
schema dumps, from values that dumping would not change (strings, integers, lists of
such, None where the schema allows it; never a datetime, a Decimal or a model object).
Today that is the start response's questions (`app.attempts.queries.student_question`).

What keeps it honest: when the app runs with `TESTING`, every item is dumped through
its schema as well and must come out identical, value and type; a key the schema does
not dump (an answer-key field, say) or a value it would convert raises
`PreDumpedMismatch`, so the test suite fails on any misuse that a test exercises.
"""
from flask import current_app, has_app_context
from marshmallow import fields


class PreDumpedMismatch(AssertionError):
    """An item given to a PreDumpedList is not what its schema would have dumped."""


class PreDumpedList(fields.List):
    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and _checking():
            expected = super()._serialize(value, attr, obj, **kwargs)
            if not _identical(expected, value):
                raise PreDumpedMismatch(f"{attr}: the items differ from their schema's dump: {value!r} != "
                                        f"{expected!r}")
        return value


def _identical(dumped, given) -> bool:
    """Equal and of the same types throughout (2 == Decimal("2"), but JSON tells them apart)."""
    if type(dumped) is not type(given):
        return False
    if isinstance(dumped, dict):
        return dumped.keys() == given.keys() and all(_identical(dumped[k], given[k]) for k in dumped)
    if isinstance(dumped, list):
        return len(dumped) == len(given) and all(map(_identical, dumped, given))
    return dumped == given


def _checking() -> bool:
    return has_app_context() and current_app.config.get("TESTING", False)
