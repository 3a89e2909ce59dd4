"""The API's published contract: how every operation is described in `/api/openapi.json`.

The rules, applied to every route a blueprint registers (docs/development.md, "Adding
an endpoint"; tests/test_openapi_contract.py walks the served document):

- operationId: `<blueprint>_<view>`, the view being the function's name, or for a
  MethodView its class name in snake case followed by the method
  (`questions_question_item_put`). `@blp.doc(operationId=…)` overrides it.
- summary and description: the view's docstring (first line, then the rest).
- security: the views guarded by `role_required` or `token_holder_required` need the
  bearer token; the others say `security: []`.
- error statuses, each answered with the `Error` envelope: derived from what the
  view is built with (a guard: 401, and 403 when it admits only some roles; a path
  parameter: 404; arguments: 422; a body: 400 and 415; an upload: 413), plus those
  a view declares with `@documents_errors(409, 429)`.
- file downloads: `@file_download(CSV, XLSX)` names the media types of the 200.
- `ordering`: the keys of `pagination.ordering_field` as an array of enum values
  (`name`, `-name`, …), sent comma-separated.
- response shapes: every field of a schema used only in responses is `required`
  (present in every body), unless declared `metadata={"optional": True}`; fields
  with `allow_none` are `nullable`.
"""
import os
import re

import flask_swagger_ui
from apispec import BasePlugin
from flask import Blueprint, send_from_directory

SWAGGER_UI_DIST = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
ASSETS_URL = "/api/docs/assets/"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ALL_ROLES = {"admin", "teacher", "student"}
ERROR_RESPONSES = {
    400: "Malformed request body (not JSON)",
    401: "Missing, expired, revoked or invalid token, or wrong credentials",
    403: "The caller's role does not allow this",
    404: "Not found, or not visible to the caller",
    409: "Refused in the object's current state, or a duplicate",
    413: "The upload is too large",
    415: "The body is not application/json (or multipart/form-data for uploads)",
    422: "A field is invalid; `details` maps each field to its messages",
    429: "Rate limited; retry after `Retry-After` seconds",
}
BODY_METHODS = {"post", "put", "patch"}

assets = Blueprint("docs_assets", __name__)


@assets.route(f"{ASSETS_URL}<path:filename>")
def docs_asset(filename):
    """Swagger UI's scripts and styles, from the pinned flask-swagger-ui package: the
    docs page needs no network beyond this server."""
    return send_from_directory(SWAGGER_UI_DIST, filename, max_age=86400)


def documents_errors(*statuses: int):
    """Declare error statuses a view answers beyond those derived from its decorators
    409 for a state conflict, 429 for a rate limit, 403 for a rule past the role)."""

    def mark(view):
        view.documented_errors = (*getattr(view, "documented_errors", ()), *statuses)
        return view

    return mark


def file_download(*media_types: str):
    """Declare the media types of a view's 200, a file (`CSV`, `XLSX`, `PDF`)."""

    def mark(view):
        view.file_media_types = media_types
        return view

    return mark


def operation_id(endpoint: str, method: str, view) -> str:
    blueprint, name = endpoint.split(".", 1)
    if getattr(view, "view_class", None) is not None:
        return f"{blueprint}_{snake_case(name)}_{method}"
    return f"{blueprint}_{name}"


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def view_function(view, method: str):
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, method) if view_class is not None else view


def derived_errors(path: str, method: str, operation: dict, view) -> set[int]:
    """The error statuses a view's decorators and signature imply (see the module doc)."""
    statuses = set(getattr(view, "documented_errors", ()))
    if hasattr(view, "authorize_request"):
        statuses.add(401)
        roles = getattr(view, "required_roles", None)
        if roles is None or set(roles) not in (set(), ALL_ROLES):
            statuses.add(403)
    if "{" in path:
        statuses.add(404)
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if method in BODY_METHODS:
        statuses.add(415)
    content = (operation.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        statuses.add(400)
    if "multipart/form-data" in content:
        statuses.add(413)
    return statuses


def ordering_parameter(parameter: dict) -> None:
    """`ordering=-created_at,name`: an array of the allowed keys, each optionally `-`-prefixed."""
    keys = parameter["schema"].pop("x-ordering-keys", None)
    if keys is None:
        return
    values = [prefix + key for key in sorted(keys) for prefix in ("", "-")]
    parameter["schema"] = {"type": "array", "items": {"type": "string", "enum": values},
                           "description": parameter["schema"].get("description", "")}
    parameter["style"], parameter["explode"] = "form", False


class ContractPlugin(BasePlugin):
    """Completes every operation by the rules of the module docstring."""

    def __init__(self, app):
        self.app = app

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec
        for status, description in ERROR_RESPONSES.items():
            spec.components.response(f"Error{status}", {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            })

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs):
        if rule is None:
            return
        view = self.app.view_functions[rule.endpoint]
        for method, operation in (operations or {}).items():
            function = view_function(view, method)
            operation.setdefault("operationId", operation_id(rule.endpoint, method, view))
            if not hasattr(function, "authorize_request"):
                operation["security"] = []
            for parameter in operation.get("parameters") or []:
                if isinstance(parameter, dict) and "schema" in parameter:
                    ordering_parameter(parameter)
            self._document_errors(path, method, operation, function)
            self._document_files(operation, function)

    def _document_errors(self, path, method, operation, function) -> None:
        responses = operation.setdefault("responses", {})
        for status in sorted(derived_errors(path, method, operation, function)):
            responses.setdefault(str(status), {"$ref": f"#/components/responses/Error{status}"})

    def _document_files(self, operation, function) -> None:
        media_types = getattr(function, "file_media_types", None)
        if not media_types:
            return
        ok = operation["responses"].setdefault("200", {"description": "A file"})
        ok["content"] = {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in media_types}
        ok.setdefault("headers", {})["Content-Disposition"] = {
            "description": "`attachment; filename=\"…\"`", "schema": {"type": "string"}}



def component_name(schema: type) -> str:
    """The name apispec's default resolver gives a schema class in `components/schemas`."""
    name = schema.__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name
