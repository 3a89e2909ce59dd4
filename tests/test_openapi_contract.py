"""The served OpenAPI document as a contract a client generator can build on.

Walks `/api/openapi.json`: every operation named (operationId), summarised and tagged,
declaring its error statuses with the `Error` schema; no schema left empty; every
enum-like response field with its enum; file downloads with their media types; the
`ordering` of every list as an enum. Then checks the document against the app: every
response the authorization matrix receives (every route, every role, on real data)
has a declared status and a body that validates against its schema, `required`,
`nullable`, enums and `additionalProperties: false` included.

A failure names the operation and the field, and says what is missing; the rules are
in docs/development.md ("Adding an endpoint") and app/common/apidoc.py.
"""
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from app.common.apidoc import CSV, PDF, XLSX
from app.errors import ERROR_CODES, HTTP_ERROR_CODES, DomainError
from tests.security.matrix import load_rows, request
from tests.security.world import ROLES, build_world

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "post", "put", "patch", "delete")
FILE_TYPES = {CSV, XLSX, PDF}
# Field names that hold one of a fixed set of values, wherever they appear in a response.
ENUM_LIKE = re.compile(r"^(role|status|type|severity|priority|category|difficulty|state|kind|format|token_type"
                       r"|view|violation_action)$|_(status|type|role|severity|priority|category|kind)$"
                       r"|^auto_submit_reason$")


@pytest.fixture(scope="module")
def document(app):
    with app.test_client() as client:
        return client.get("/api/openapi.json").get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", path, method, operation


def resolve(document, node: dict) -> dict:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = document["components"][section][name]
    return node


# --- the document as a whole --------------------------------------------------------------

def test_the_document_is_valid_openapi(document):
    validate(document)


def test_the_document_names_its_server(document):
    assert document["servers"] and all(server["url"] for server in document["servers"])


def test_every_operation_has_a_unique_operation_id_a_summary_and_a_tag(document):
    problems, seen = [], {}
    for label, _, _, operation in operations(document):
        operation_id = operation.get("operationId")
        if not operation_id:
            problems.append(f"{label}: no operationId")
        elif operation_id in seen:
            problems.append(f"{label}: operationId {operation_id!r} also used by {seen[operation_id]}")
        seen[operation_id] = label
        if not (operation.get("summary") or "").strip():
            problems.append(f"{label}: no summary (the first line of the view's docstring)")
        if not operation.get("tags"):
            problems.append(f"{label}: no tag")
    assert not problems, "\n".join(problems)


def test_operations_without_a_token_say_so(document):
    public = {label for label, _, _, operation in operations(document) if operation.get("security") == []}
    assert {"POST /api/auth/login", "GET /api/health", "POST /api/auth/claim-account"} <= public
    assert "GET /api/auth/me" not in public


# --- errors ------------------------------------------------------------------------------

def expected_errors(path: str, method: str, operation: dict) -> set[str]:
    """The statuses any operation of this shape can answer (app/common/apidoc.py derives them)."""
    statuses = set()
    if operation.get("security") != []:
        statuses.add("401")
    if "{" in path:
        statuses.add("404")
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add("422")
    if method in ("post", "put", "patch"):
        statuses.add("415")
    return statuses


def test_every_operation_declares_its_error_statuses_with_the_error_schema(document):
    problems = []
    for label, path, method, operation in operations(document):
        responses = operation.get("responses", {})
        missing = expected_errors(path, method, operation) - set(responses)
        if missing:
            problems.append(f"{label}: declares no {sorted(missing)} (app/common/apidoc.py derives them from the "
                            "view's guard, path and arguments)")
        for status, response in responses.items():
            if status[0] == "4" or status == "default":  # a 503 may have its own body (health)
                schema = resolve(document, response).get("content", {}).get("application/json", {}).get("schema", {})
                if schema.get("$ref") != "#/components/schemas/Error":
                    problems.append(f"{label}: {status} is not answered with the Error schema")
    assert not problems, "\n".join(problems)


def test_every_operation_taking_an_idempotency_key_declares_its_refusal(document):
    with_key = [label for label, _path, _method, operation in operations(document)
                if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))]
    assert "POST /api/questions" in with_key and "POST /api/quizzes" in with_key
    missing = [label for label, _path, _method, operation in operations(document)
               if label in with_key and "422" not in operation["responses"]]
    assert not missing, f"a reused Idempotency-Key is 422 IDEMPOTENCY_KEY_REUSED; not declared by {missing}"


def test_every_error_code_the_app_can_answer_is_in_the_error_schema_enum(document):
    enum = document["components"]["schemas"]["Error"]["properties"]["error_code"]["enum"]
    assert sorted(enum) == sorted(ERROR_CODES)
    raised = set(HTTP_ERROR_CODES.values()) | {cls.error_code for cls in all_subclasses(DomainError)}
    for source in (ROOT / "app").rglob("*.py"):
        if "realtime" not in source.parts:  # Socket.IO `error` events have their own codes
            raised |= set(re.findall(r"""error_code\s*=\s*["']([A-Z_]+)["']""", source.read_text()))
    assert not raised - set(ERROR_CODES), f"add these to app.errors.ERROR_CODES: {sorted(raised - set(ERROR_CODES))}"
    assert not set(ERROR_CODES) - raised, f"codes nothing raises any more: {sorted(set(ERROR_CODES) - raised)}"


def all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from all_subclasses(subclass)


# --- shapes ------------------------------------------------------------------------------

def walk_schema(document, node, where: str, problems: list, *, response: bool) -> None:
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        return  # components are walked once, by name
    if not set(node) - {"description", "nullable", "default", "readOnly", "writeOnly", "title", "example"}:
        problems.append(f"{where}: an empty schema (`{{}}`); give the field a type, `oneOf` or FREE_FORM")
    for name, prop in (node.get("properties") or {}).items():
        target = prop.get("items", prop) if prop.get("type") == "array" else prop
        if response and ENUM_LIKE.search(name) and target.get("type") == "string" and "enum" not in target:
            problems.append(f"{where}.{name}: an enum-like response field without `enum` "
                            "(add metadata={{\"enum\": [...]}} or validate=OneOf(...))")
        walk_schema(document, prop, f"{where}.{name}", problems, response=response)
    for key in ("items", "additionalProperties", "not"):
        walk_schema(document, node.get(key), f"{where}[{key}]", problems, response=response)
    for key in ("oneOf", "anyOf", "allOf"):
        for index, member in enumerate(node.get(key) or []):
            walk_schema(document, member, f"{where}.{key}[{index}]", problems, response=response)
    if node.get("type") == "object" and not node.get("properties") and "additionalProperties" not in node:
        problems.append(f"{where}: an object with no properties (say FREE_FORM if any keys are fine)")


def test_no_schema_is_empty_and_no_enum_like_response_field_lacks_its_enum(document):
    problems = []
    for name, schema in document["components"]["schemas"].items():
        walk_schema(document, schema, name, problems, response=True)
    for label, _, _, operation in operations(document):
        for parameter in operation.get("parameters", []):
            walk_schema(document, parameter.get("schema"), f"{label} ?{parameter['name']}", problems, response=False)
        for status, response in operation.get("responses", {}).items():
            for media, content in resolve(document, response).get("content", {}).items():
                walk_schema(document, content.get("schema"), f"{label} {status} {media}", problems, response=True)
    assert not problems, "\n".join(problems)


def test_every_file_download_declares_its_media_types(document):
    problems, files = [], 0
    for label, _, _, operation in operations(document):
        ok = next((r for code, r in operation["responses"].items() if code.startswith("2")), None)
        content = resolve(document, ok or {}).get("content")
        if content is None:
            problems.append(f"{label}: the 2xx response declares no content (a file? use @file_download)")
        elif set(content) & FILE_TYPES:
            files += 1
            if set(content) - FILE_TYPES:
                problems.append(f"{label}: a file download also declares {sorted(set(content) - FILE_TYPES)}")
    assert not problems, "\n".join(problems)
    assert files == 6


def test_the_ordering_of_every_list_is_an_enum_of_its_keys(document):
    problems, lists = [], 0
    for label, _, _, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"] != "ordering":
                continue
            lists += 1
            values = parameter["schema"].get("items", {}).get("enum", [])
            keys = {value.lstrip("-") for value in values}
            if not values or set(values) != keys | {f"-{key}" for key in keys}:
                problems.append(f"{label}: `ordering` is not an array of its keys and their `-` forms "
                                "(use pagination.ordering_field)")
            elif (parameter.get("style"), parameter.get("explode")) != ("form", False):
                problems.append(f"{label}: `ordering` is not sent comma-separated (style form, explode false)")
    assert not problems, "\n".join(problems)
    assert lists >= 13


def test_role_dependent_quiz_responses_are_told_apart_by_view(document):
    for path in ("/api/quizzes", "/api/quizzes/{quiz_id}", "/api/quizzes/access/{access_code}"):
        schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["discriminator"]["propertyName"] == "view", path
        for view, ref in schema["discriminator"]["mapping"].items():
            member = resolve(document, {"$ref": ref})
            assert member["properties"]["view"]["enum"] == [view] and "view" in member["required"], path


# --- the document against the app ---------------------------------------------------------

def json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a union with null."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items() if key != "discriminator"}
    if "$ref" in node:
        node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def validators(document):
    definitions = json_schema(document["components"]["schemas"])
    cache = {}

    def validator_for(schema: dict) -> Draft202012Validator:
        key = repr(schema)
        if key not in cache:
            cache[key] = Draft202012Validator({"$defs": definitions, **json_schema(schema)})
        return cache[key]

    return validator_for


def operation_for(document, row):
    return document["paths"][row.path][row.method.lower()]


def conformance_problems(document, validators, row, role, response) -> list[str]:
    label = f"{row.key} as {role}"
    operation = operation_for(document, row)
    declared = operation["responses"]
    status = str(response.status_code)
    if status not in declared and response.status_code not in (405, 500, 503):
        return [f"{label}: answered {status}, which the operation does not declare "
                "(a view declares extra statuses with @documents_errors)"]
    content = resolve(document, declared.get(status, declared.get("default", {}))).get("content", {})
    if response.mimetype != "application/json":
        return [] if response.mimetype in content else [f"{label}: {response.mimetype} is not a declared media type"]
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return [f"{label}: a JSON body on {status}, which declares none"]
    errors = sorted(validators(schema).iter_errors(response.get_json()), key=lambda e: list(e.absolute_path))
    return [f"{label} {status}: at {'/'.join(map(str, e.absolute_path)) or 'the body'}: {e.message[:300]}"
            for e in errors[:3]]


def test_every_answer_on_real_data_conforms_to_the_document(client, document, validators):
    """Every row of the authorization matrix, as every role, on a world of real objects;
    reads on one world, then the writes (deletes last) on another."""
    rows = load_rows()
    reads = [row for row in rows if row.method == "GET"]
    writes = sorted((row for row in rows if row.method != "GET"), key=lambda row: row.method == "DELETE")
    problems, answered = [], 0
    for batch in (reads, writes):
        world = build_world()
        for row in batch:
            if row.path.startswith(("/static", "/api/docs", "/api/openapi")):
                continue
            for role in ROLES:
                response = request(client, world, row, role, "own")
                answered += 200 <= response.status_code < 300
                problems += conformance_problems(document, validators, row, role, response)
    assert not problems, "\n".join(problems)
    assert answered > 150
