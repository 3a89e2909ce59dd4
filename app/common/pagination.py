"""The one pagination helper: `page`, `limit` (alias `page_size`), `search`, `ordering`.

Every list answers `{"items", "total", "page", "limit", "pages"}` with two queries
(count and page), whatever the page size.
"""
import math
import re

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from sqlalchemy import func, or_, select

from app.common.schemas import BaseSchema, DateTimeZ
from app.errors import ValidationFailed
from app.extensions import db

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


class PageQuerySchema(BaseSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT))
    page_size = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT))
    search = fields.String(validate=validate.Length(max=200))
    ordering = fields.String(validate=validate.Length(max=200))

    @post_load
    def resolve_limit(self, data, **kwargs):
        data["limit"] = data.get("limit") or data.pop("page_size", None) or DEFAULT_LIMIT
        data.pop("page_size", None)
        return data


def time_window_schema(*prefixes: str) -> type[Schema]:
    """Query fields `<prefix>_after` (inclusive) and `<prefix>_before` (exclusive) per
    prefix, e.g. `created_after=2026-11-01T00:00:00Z`; a window that ends before it
    starts is a 422. Apply them with `within_window`."""

    def check_order(self, data, **kwargs):
        for prefix in prefixes:
            after, before = data.get(f"{prefix}_after"), data.get(f"{prefix}_before")
            if after is not None and before is not None and after >= before:
                raise ValidationError(f"Must be later than {prefix}_after.", f"{prefix}_before")

    attrs = {"check_order": validates_schema(check_order)}
    for prefix in prefixes:
        attrs[f"{prefix}_after"] = DateTimeZ(metadata={"description": f"Only those {prefix} at or after this time"})
        attrs[f"{prefix}_before"] = DateTimeZ(metadata={"description": f"Only those {prefix} before this time"})
    return type("".join(p.title() for p in prefixes) + "WindowQuerySchema", (BaseSchema,), attrs)


def within_window(stmt, params: dict, prefix: str, column):
    """`stmt` narrowed by the `<prefix>_after` / `<prefix>_before` parameters, if given."""
    if params.get(f"{prefix}_after") is not None:
        stmt = stmt.where(column >= params[f"{prefix}_after"])
    if params.get(f"{prefix}_before") is not None:
        stmt = stmt.where(column < params[f"{prefix}_before"])
    return stmt


def ordering_field(keys) -> fields.String:
    """An `ordering` parameter limited to `keys` (each optionally `-`-prefixed, comma-separated),
    documented as an array of those keys (app.common.apidoc); override `PageQuerySchema.ordering`
    with it in a list's query schema."""
    names = "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))
    allowed = ", ".join(sorted(keys))
    return fields.String(
        validate=[validate.Length(max=200),
                  validate.Regexp(rf"^-?({names})(,-?({names}))*$", error=f"Must be one of: {allowed}")],
        metadata={"description": f"Comma-separated, `-` for descending. Fields: {allowed}.",
                  "x-ordering-keys": sorted(keys)},
    )


def page_schema(item_schema: type[Schema], name: str, *, view: str | None = None) -> type[Schema]:
    """A response schema for a page of `item_schema`, named for the OpenAPI document; with
    `view`, the page carries it too (a list whose items depend on the caller's role)."""
    extra = {"view": fields.Constant(view, required=True, metadata={"type": "string", "enum": [view]})} if view else {}
    return type(name, (Schema,), {
        **extra,
        "items": fields.List(fields.Nested(item_schema), required=True),
        "total": fields.Integer(required=True),
        "page": fields.Integer(required=True),
        "limit": fields.Integer(required=True),
        "pages": fields.Integer(required=True),
    })


def like_pattern(search: str) -> str:
    """`%text%` for LIKE with `%`, `_` and `\\` taken literally (use `escape="\\\\"`)."""
    escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column, text: str, *, ignore_case: bool = True):
    """`column` contains `text`; a `%` or `_` in it matches only itself."""
    pattern = like_pattern(text)
    return column.ilike(pattern, escape="\\") if ignore_case else column.like(pattern, escape="\\")


def equal_filters(stmt, params: dict, columns: dict):
    """`stmt` narrowed to `column == value` for each list filter of `columns` (query
    parameter name → column) that the caller sent; one left out or empty narrows nothing."""
    for name, column in columns.items():
        if params.get(name):
            stmt = stmt.where(column == params[name])
    return stmt


def search_filter(search: str, *columns):
    """The `search` of a list: any of `columns` contains it, ignoring case."""
    return or_(*(contains(column, search) for column in columns))


def apply_ordering(stmt, ordering: str | None, allowed: dict, default: str):
    """`ordering=-created_at,name`: only the keys in `allowed` (name → column)."""
    clauses = []
    for raw in (ordering or default).split(","):
        key = raw.strip()
        if not key:
            continue
        descending = key.startswith("-")
        column = allowed.get(key.lstrip("-"))
        if column is None:
            raise ValidationFailed(
                "Unknown ordering field",
                details={"ordering": [f"Must be one of: {', '.join(sorted(allowed))}"]},
            )
        clauses.append(column.desc() if descending else column.asc())
    return stmt.order_by(*clauses)


def paginate(stmt, params: dict, *, orderings: dict, default_ordering: str,
             tiebreak=None, scalars: bool = True) -> dict:
    page, limit = params.get("page", 1), params.get("limit", DEFAULT_LIMIT)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ordered = apply_ordering(stmt, params.get("ordering"), orderings, default_ordering)
    if tiebreak is not None:
        ordered = ordered.order_by(tiebreak)
    page_stmt = ordered.limit(limit).offset((page - 1) * limit)
    result = db.session.execute(page_stmt)
    items = list(result.unique().scalars() if scalars else result.all())
    return {
        "items": items, "total": total, "page": page, "limit": limit,
        "pages": math.ceil(total / limit) if total else 0,
    }
