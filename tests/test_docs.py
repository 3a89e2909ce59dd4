"""The documentation keeps up with the code.

Every route of the URL map is in the REST API guide (`docs/api/`), every Socket.IO
event the app emits or handles is in the realtime protocol (`docs/realtime.md`),
every environment variable the app reads is in `docs/configuration.md`, every file
the docs name exists, and the README stays a front door. What the code offers is
read from the code itself (the URL map, and `ast` over the modules), so a new route,
event or variable fails here until its documentation is written, and a moved file
fails here until the docs follow it.
"""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
API_GUIDE = DOCS / "api"
REALTIME_PAGE = DOCS / "realtime.md"
CONFIGURATION_PAGE = DOCS / "configuration.md"
SOCKET_MODULES = ("app/realtime", "app/notifications")
ENVIRONMENT_READERS = ("app", "wsgi.py", "run.py", "gunicorn_config.py")
README_MAX_LINES = 200

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# `POST /api/quizzes/{id}/start`: a method, one space, a path; parameter names are free.
DOCUMENTED_ROUTE = re.compile(rf"\b({'|'.join(HTTP_METHODS)}) (/api[A-Za-z0-9_./{{}}-]*)")


def _normalised(path: str) -> str:
    """`/api/x/<string:id>` and `/api/x/{id}/` both become `/api/x/{}`."""
    path = re.sub(r"<[^>]+>", "{}", path)
    path = re.sub(r"\{[^}]*\}", "{}", path)
    return path.rstrip("/.") or "/"


def _text(*paths: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


def _python_files(*names: str):
    for name in names:
        path = ROOT / name
        yield from (sorted(path.rglob("*.py")) if path.is_dir() else [path])


def _parsed(*names: str):
    for path in _python_files(*names):
        yield ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _first_string_argument(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _callee_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


# --- what the code offers --------------------------------------------------------

def app_routes(app) -> set[str]:
    """`METHOD /path` for every route a blueprint registered (Flask's own static route aside)."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.rule.startswith("/api"):
            continue
        for method in sorted(rule.methods & set(HTTP_METHODS)):
            routes.add(f"{method} {_normalised(rule.rule)}")
    return routes


def socket_events() -> set[str]:
    """Events handled (`on_<event>` methods of namespace classes, `@x.on("event")`) and
    emitted (`emit("event", …)`, `send("event", …)`, `to_<room>("event", …)`)."""
    events = set()
    for tree in _parsed(*SOCKET_MODULES):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                events |= {item.name.removeprefix("on_") for item in node.body
                           if isinstance(item, ast.FunctionDef) and item.name.startswith("on_")}
            elif isinstance(node, ast.Call):
                name, event = _callee_name(node), _first_string_argument(node)
                if event and (name in ("emit", "send", "on", "on_event") or name.startswith("to_")):
                    events.add(event)
    return events


def socket_namespaces() -> set[str]:
    """The values of every `…_NAMESPACE = "/…"` constant."""
    namespaces = set()
    for tree in _parsed(*SOCKET_MODULES):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and any(isinstance(t, ast.Name) and t.id.endswith("_NAMESPACE") for t in node.targets)):
                namespaces.add(node.value.value)
    return namespaces


ENV_HELPERS = {"getenv", "env_int", "env_bool", "_env", "_env_int"}  # app/config.py, gunicorn_config.py


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` (a WSGI `environ` dict is something else)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os")


def _environment_read(node: ast.AST) -> str | None:
    """The variable of `os.environ.get("X")`, `os.environ["X"]`, `env_int("X", …)`, or None."""
    if isinstance(node, ast.Call):
        name = _callee_name(node)
        if name in ENV_HELPERS or (name == "get" and _is_environ(node.func.value)):
            return _first_string_argument(node)
    if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value)
            and isinstance(node.slice, ast.Constant)):
        return node.slice.value
    return None


def environment_variables() -> set[str]:
    """Every variable read through `os.environ` or the config helpers, and every one
    `.env.example` lists (commented out or not)."""
    names = set()
    for tree in _parsed(*ENVIRONMENT_READERS):
        for node in ast.walk(tree):
            name = _environment_read(node)
            if isinstance(name, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", name):
                names.add(name)
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names |= set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    return names


# --- what the docs say ------------------------------------------------------------

def documented_routes() -> set[str]:
    text = _text(*sorted(API_GUIDE.glob("*.md")))
    return {f"{method} {_normalised(path)}" for method, path in DOCUMENTED_ROUTE.findall(text)}


def backquoted(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


# --- the tests --------------------------------------------------------------------

def test_every_route_is_in_the_api_guide(app):
    missing = sorted(app_routes(app) - documented_routes())
    assert not missing, f"routes missing from docs/api/*.md (write them as `METHOD /api/...`): {missing}"


def test_the_api_guide_names_no_route_that_does_not_exist(app):
    stale = sorted(documented_routes() - app_routes(app))
    assert not stale, f"docs/api/*.md documents routes the app does not have: {stale}"


def test_every_socket_event_and_namespace_is_in_the_realtime_page():
    documented = backquoted(_text(REALTIME_PAGE))
    found = socket_events() | socket_namespaces()
    assert {"joined", "quiz_status", "mark_read", "/quiz-monitor"} <= found  # the scan still sees the code
    missing = sorted(found - documented)
    assert not missing, f"Socket.IO events or namespaces missing from docs/realtime.md (in backquotes): {missing}"


def test_every_environment_variable_is_in_the_configuration_page():
    documented = backquoted(_text(CONFIGURATION_PAGE))
    found = environment_variables()
    assert {"DATABASE_URL", "JWT_ACCESS_MINUTES", "GUNICORN_BIND", "PORT"} <= found
    missing = sorted(found - documented)
    assert not missing, f"environment variables missing from docs/configuration.md (in backquotes): {missing}"


# `scripts/scheduler.sh`, `app/common/authz.py`, `nginx/`: a path into the repository, no placeholder.
REPOSITORY_PATH = re.compile(r"(?:app|benchmarks|docs|migrations|nginx|scripts|tests)/[\w./-]*")


def named_paths(text: str) -> set[str]:
    return {token for token in backquoted(text) if REPOSITORY_PATH.fullmatch(token)}


def relative_links(text: str) -> set[str]:
    return {target for target in re.findall(r"\]\(([^)#\s]+)", text) if "://" not in target}


def test_every_file_the_docs_name_exists():
    pages = sorted(DOCS.rglob("*.md"))
    missing = sorted(path for path in named_paths(_text(*pages, ROOT / "README.md")) if not (ROOT / path).exists())
    missing += sorted(link for link in relative_links(_text(ROOT / "README.md")) if not (ROOT / link).exists())
    assert not missing, f"the docs or README name files that do not exist: {missing}"


def test_the_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; guides belong in docs/"
