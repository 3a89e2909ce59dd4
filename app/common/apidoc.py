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
  parameter: 404; arguments, or `@idempotent` (a reused `Idempotency-Key`): 422; a body:
  400 and 415; an upload: 413), plus those
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
XML = "application/xml"
TEXT = "text/plain"
ALL_ROLES = {"admin", "teacher", "student"}
ERROR_RESPONSES = {
    400: "Malformed request body (not JSON)",
    401: "Missing, expired, revoked or invalid token, or wrong credentials",
    403: "The caller's role does not allow this",
    404: "Not found, or not visible to the caller",
    409: "Refused in the object's current state, or a duplicate",
    413: "The upload is too large",
    415: "The body is not application/json (or multipart/form-data for uploads)",
    422: "A field is invalid; `details` maps each field to its messages (or the `Idempotency-Key` "
         "was used with another request: `IDEMPOTENCY_KEY_REUSED`)",
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


def file_download(*media_types: str, inline: bool = False):
    """Declare the media types of a view's 200, a file (`CSV`, `XLSX`, `PDF`, `XML`,
    `TEXT`, an image type); `inline` when it is shown in place (an image), not saved."""

    def mark(view):
        view.file_media_types = media_types
        view.file_inline = inline
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
    if operation.get("parameters") or "requestBody" in operation or getattr(view, "idempotent", False):
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
        disposition = "inline" if getattr(function, "file_inline", False) else "attachment"
        ok.setdefault("headers", {})["Content-Disposition"] = {
            "description": f"`{disposition}; filename=\"…\"`", "schema": {"type": "string"}}



def component_name(schema: type) -> str:
    """The name apispec's default resolver gives a schema class in `components/schemas`."""
    name = schema.__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def complete_document(spec) -> None:
    """The last pass, once every blueprint is registered: the shapes of response bodies.

    - A schema met only in responses lists every field as `required` (marshmallow dumps
      every declared field), except those declared `metadata={"optional": True}` (a key
      left out of some bodies) and write-only ones.
    - A nullable enum admits `null` among its values (OpenAPI 3.0 checks both).
    - A nullable nested object is `allOf: [$ref]` + `nullable`, not apispec's
      `anyOf: [{type: object}, $ref]`, which reads as "any object" to generators.
    """
    schemas = spec.components.schemas
    classes = schema_classes(spec)
    for name in responses_only(spec):
        schema = schemas[name]
        optional = optional_fields(classes.get(name))
        required = [key for key, prop in schema.get("properties", {}).items()
                    if key not in optional and not prop.get("writeOnly")]
        if required:
            schema["required"] = required
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            tidy_property(prop)
    keep_tidy(spec)


def tidy_property(prop: dict) -> None:
    target = prop.get("items", prop) if prop.get("type") == "array" else prop
    for node in {id(prop): prop, id(target): target}.values():
        if node.get("nullable") and "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    any_of = prop.get("anyOf") or []
    refs = [member for member in any_of if "$ref" in member]
    if len(any_of) == 2 and len(refs) == 1 and any(m.get("nullable") for m in any_of if "$ref" not in m):
        del prop["anyOf"]
        prop.update({"allOf": refs, "nullable": True})


def keep_tidy(spec) -> None:
    """Tidy the nullable nested objects again each time the document is served.

    The blueprints are module-level objects: an app built later in the same process (a
    test's, a CLI's) converts their schemas again, and apispec writes its
    `anyOf: [{type: object}, $ref]` back into property dicts this app already tidied.
    """
    build = spec.to_dict

    def to_dict():
        document = build()
        for schema in document.get("components", {}).get("schemas", {}).values():
            for prop in schema.get("properties", {}).values():
                tidy_property(prop)
        return document

    spec.to_dict = to_dict


def schema_classes(spec) -> dict:
    """Component name → the marshmallow class it was generated from."""
    plugin = next(p for p in spec.plugins if hasattr(p, "converter") and p.converter is not None)
    classes = {}
    for key, name in plugin.converter.refs.items():
        schema = key[0] if isinstance(key, tuple) else key
        classes[name] = schema if isinstance(schema, type) else type(schema)
    return classes


def optional_fields(schema_class) -> set[str]:
    if schema_class is None:
        return set()
    declared = schema_class._declared_fields
    return {field.data_key or name for name, field in declared.items() if field.metadata.get("optional")}


def responses_only(spec) -> set[str]:
    """Components reachable from a 2xx response and from no request body or parameter."""
    document = spec.to_dict()
    components = document["components"]["schemas"]
    in_requests, in_responses = set(), set()
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            collect_refs([operation.get("requestBody"), operation.get("parameters")], components, in_requests)
            ok = {code: r for code, r in operation.get("responses", {}).items() if code.startswith("2")}
            collect_refs(ok, components, in_responses)
    return in_responses - in_requests


def collect_refs(node, components: dict, found: set) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in found:
                found.add(name)
                collect_refs(components.get(name), components, found)
        for value in node.values():
            collect_refs(value, components, found)
    elif isinstance(node, list):
        for value in node:
            collect_refs(value, components, found)
