"""Reading and walking the authorization matrix (authz_matrix.yaml).

Each row is one route and method with the expected status for every role, against
the caller's own object and against another's ("own/other"; a single value when
the route takes no object). `ok` means any 2xx. Path parameters and body
placeholders are filled from the fixture world (tests/security/world.py).
"""
import copy
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.security.world import OTHER_SIDE, PEER, ROLES, SIDE, World

MATRIX_FILE = Path(__file__).with_name("authz_matrix.yaml")
PARAM = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDER = re.compile(r"^\{(?:(own|other):)?([a-z_@.]+)\}$")
DEFAULT_KINDS = {
    "quiz_id": "quiz", "attempt_id": "attempt", "student_id": "student", "teacher_id": "teacher",
    "class_id": "class", "question_id": "question", "user_id": "user", "notification_id": "notification",
    "access_code": "quiz.access_code",
}
VARIANTS = ("own", "other")


@dataclass
class Row:
    method: str
    path: str
    expect: dict  # role -> {variant: expected}
    params: dict = field(default_factory=dict)
    body: object = None
    query: dict | None = None
    upload: dict | None = None
    note: str = ""
    both: bool = False  # two variants even without a path parameter (the body or query names the object)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def variants(self) -> tuple[str, ...]:
        return VARIANTS if self.both or PARAM.search(self.path) else ("own",)

    def cells(self):
        for role in ROLES:
            for variant in self.variants:
                yield role, variant, self.expect[role][variant]


def _parse_expectation(value, variants) -> dict:
    text = str(value)
    parts = text.split("/")
    if len(parts) == 1:
        parts = parts * len(variants)
    if len(parts) != len(variants):
        raise ValueError(f"expected {len(variants)} outcome(s), got {text!r}")
    return {variant: (part if part == "ok" else int(part)) for variant, part in zip(variants, parts, strict=True)}


def load_rows() -> list[Row]:
    rows = []
    for raw in yaml.safe_load(MATRIX_FILE.read_text())["routes"]:
        method, path = raw["route"].split(" ", 1)
        row = Row(method=method, path=path, expect={}, params=raw.get("params", {}), body=raw.get("body"),
                  query=raw.get("query"), upload=raw.get("upload"), note=raw.get("note", ""),
                  both=raw.get("both", False))
        missing = [role for role in ROLES if role not in raw]
        if missing:
            raise ValueError(f"{row.key}: no expectation for {missing}")
        row.expect = {role: _parse_expectation(raw[role], row.variants) for role in ROLES}
        rows.append(row)
    return rows


def app_routes(app) -> set[str]:
    """'METHOD /path/{param}' for every rule and method the app serves."""
    return set(route_endpoints(app))


def route_endpoints(app) -> dict[str, str]:
    """'METHOD /path/{param}' -> the endpoint serving it ('blueprint.view')."""
    found = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[f"{method} {path}"] = rule.endpoint
    return found


def resolve(world: World, spec: str, role: str, variant: str):
    """A world value: `kind[.attr]` for the caller's side (own) or the other side."""
    if spec.startswith("literal:"):
        return spec.removeprefix("literal:")
    kind, _, attr = spec.partition(".")
    subject_role = role if variant == "own" else PEER[role]
    if role == "anonymous" and variant == "own":
        subject_role = "student_a"
    if kind == "user":
        obj = world.users[subject_role]
    elif kind == "notification":
        obj = world.get(f"notification@{subject_role}", "own")
    elif kind in ("refresh_token", "access_token"):
        return world.tokens[subject_role][kind]
    else:
        side = SIDE[role] if variant == "own" else OTHER_SIDE[SIDE[role]]
        obj = world.get(kind, side)
    for part in (attr or "id").split("."):
        obj = getattr(obj, part)
    return obj


def fill_path(world: World, row: Row, role: str, variant: str) -> str:
    def value(match):
        name = match.group(1)
        spec = row.params.get(name) or DEFAULT_KINDS.get(name)
        if spec is None:
            raise KeyError(f"{row.key}: no world kind for path parameter {name!r}; add `params:` to the row")
        return str(resolve(world, spec, role, variant))

    return PARAM.sub(value, row.path)


def fill_body(world: World, body, role: str, variant: str):
    if isinstance(body, dict):
        return {key: fill_body(world, value, role, variant) for key, value in body.items()}
    if isinstance(body, list):
        return [fill_body(world, value, role, variant) for value in body]
    if isinstance(body, str) and "{seq}" in body:
        return body.replace("{seq}", str(world.next_seq()))
    if isinstance(body, str):
        match = PLACEHOLDER.match(body)
        if match:
            return resolve(world, match.group(2), role, match.group(1) or variant)
    return body


def request(client, world: World, row: Row, role: str, variant: str):
    path = fill_path(world, row, role, variant)
    kwargs = {"headers": world.headers(role)}
    if row.query:
        kwargs["query_string"] = fill_body(world, copy.deepcopy(row.query), role, variant)
    if row.upload:
        content = re.sub(r"\{([a-z_.]+)\}", lambda m: str(resolve(world, m.group(1), role, variant)),
                         row.upload["content"])
        kwargs["data"] = {"file": (io.BytesIO(content.encode()), row.upload["filename"])}
        kwargs["content_type"] = "multipart/form-data"
    elif row.body is not None:
        kwargs["json"] = fill_body(world, copy.deepcopy(row.body), role, variant)
    return client.open(path, method=row.method, **kwargs)


def response_text(response) -> str:
    """What a person would read in the response: JSON/CSV text, PDF text, workbook cells."""
    data, kind = response.get_data(), response.mimetype or ""
    if kind == "application/pdf" or data.startswith(b"%PDF"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    if data.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for value in row if value is not None)
    return data.decode("utf-8", errors="replace")


def matches(expected, status: int) -> bool:
    return 200 <= status < 300 if expected == "ok" else status == expected


def mutates(row: Row, expected) -> bool:
    return row.method != "GET" and (expected == "ok" or (isinstance(expected, int) and expected < 300))


# --- foreign ids in bodies and query strings (`foreign_ids` in authz_matrix.yaml) ---------

FOREIGN = re.compile(r"^\{foreign:([a-z_.]+)\}$")


@dataclass
class ForeignProbe:
    route: Row  # its path parameters and other placeholders are the caller's own
    callers: list
    expect: object

    @property
    def key(self) -> str:
        return self.route.key

    def fields(self) -> set[str]:
        """The id fields this probe names a foreign object in: 'name', 'list[].name', '?name'."""
        found = {f"?{name}" for name, value in (self.route.query or {}).items() if FOREIGN.match(str(value))}
        return found | set(_foreign_paths(self.route.body, ""))


def _foreign_paths(value, prefix: str):
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _foreign_paths(item, f"{prefix}.{name}" if prefix else name)
    elif isinstance(value, list):
        for item in value:
            yield from _foreign_paths(item, f"{prefix}[]")
    elif isinstance(value, str) and FOREIGN.match(value):
        yield prefix.removesuffix("[]")  # a list of ids is one field: `class_ids`


def load_foreign_probes() -> tuple[list[ForeignProbe], dict[str, str]]:
    """The probes, and the id fields where no caller can name a foreign object (with why)."""
    section = yaml.safe_load(MATRIX_FILE.read_text())["foreign_ids"]
    probes = []
    for raw in section["probes"]:
        method, path = raw["route"].split(" ", 1)
        row = Row(method=method, path=path, expect={}, params=raw.get("params", {}), body=raw.get("body"),
                  query=raw.get("query"))
        probes.append(ForeignProbe(route=row, callers=raw["callers"], expect=raw["expect"]))
    return probes, section.get("not_foreign", {})


def _name(value, named_id: str):
    if isinstance(value, dict):
        return {key: _name(item, named_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_name(item, named_id) for item in value]
    return named_id if isinstance(value, str) and FOREIGN.match(value) else value


def foreign_request(client, world: World, probe: ForeignProbe, role: str, named_id: str):
    """The probe's request as `role`, naming `named_id` where the probe says {foreign:kind}."""
    row = copy.deepcopy(probe.route)
    row.body, row.query = _name(row.body, named_id), _name(row.query, named_id)
    return request(client, world, row, role, "own")


def foreign_id(world: World, probe: ForeignProbe, role: str) -> str:
    """The other side's object of the kind the probe names."""
    spec = next(FOREIGN.match(v).group(1) for v in _strings(probe.route.query, probe.route.body)
                if FOREIGN.match(v))
    return str(resolve(world, spec, role, "other"))


def _strings(*values):
    for value in values:
        if isinstance(value, dict):
            yield from _strings(*value.values())
        elif isinstance(value, list):
            yield from _strings(*value)
        elif isinstance(value, str):
            yield value
