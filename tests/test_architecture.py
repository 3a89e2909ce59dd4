"""The layout's promises, read from the source (docs/development.md, "Dependency direction").

Every `import` counts, at module level or inside a function: a function-level import
hides a cycle from Python, not from this test.
"""
import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
DOMAINS = sorted(p.name for p in APP.iterdir() if (p / "__init__.py").exists() and p.name != "common")
# Declarations: a foreign key or a nested shape is a reference, not a call, so these may
# name another domain's declarations in any direction; they never import behaviour.
DECLARATIONS = ("models", "schemas")
# Which domain's behaviour may call which (docs/development.md, "Dependency direction"),
# and through them whatever they call in turn. Anything else reacts through events.
DIRECTION = {
    "realtime": {"attempts", "notifications", "auth"},
    "exports": {"analytics", "grading", "quizzes"},
    "analytics": {"quizzes"},
    "attempts": {"grading", "quizzes", "auth"},
    "teachers": {"students", "classes"},
    "students": {"users", "classes", "auth"},
    "users": {"auth"},
}
TOKEN_VALIDITY = "app/auth/tokens.py"
# Names that decode or judge a token (with PyJWT's `jwt.decode`): only the token-validity
# module uses them.
TOKEN_PRIMITIVES = {"decode_token", "TokenBlocklist"}
TOKEN_PRIMITIVE_HOMES = {TOKEN_VALIDITY, "app/auth/models.py", "app/models.py"}
# What a token is checked against besides the blocklist: the account's version (moved on
# by deactivation and password changes) as the `ver` claim. Only the token-validity
# module compares them, and the model that owns the column moves it on.
TOKEN_VERSION_HOMES = {TOKEN_VALIDITY, "app/users/models.py"}


def _modules():
    for path in sorted(APP.rglob("*.py")):
        yield path.relative_to(APP.parent).as_posix(), ast.parse(path.read_text(), str(path))


def _imported(tree) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _package_and_module(path: str) -> tuple[str | None, str]:
    parts = path.removesuffix(".py").split("/")  # app/<package>/<module>
    return (parts[1], parts[2]) if len(parts) == 3 else (None, parts[-1])


def _target(name: str) -> tuple[str | None, str | None]:
    parts = name.split(".")
    if parts[0] != "app" or len(parts) < 2 or (parts[1] not in DOMAINS and parts[1] != "common"):
        return None, None
    return parts[1], parts[2] if len(parts) > 2 else None


def _edges():
    """(importing package, imported package, importing module, imported module, file)."""
    for path, tree in _modules():
        package, module = _package_and_module(path)
        if package is None:
            continue  # app/__init__.py, app/cli.py, app/models.py: the composition root
        for name in _imported(tree):
            target, target_module = _target(name)
            if target is not None and target != package:
                yield package, target, module, target_module, path


def _behaviour_graph() -> dict[str, set[str]]:
    graph = {domain: set() for domain in DOMAINS}
    for package, target, _module, target_module, _path in _edges():
        if package in graph and target in graph and target_module not in DECLARATIONS:
            graph[package].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for successor in sorted(graph[node]):
            if state.get(successor) == "open":
                return stack[stack.index(successor):] + [successor]
            if successor not in state and (found := visit(successor)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_domain_depends_on_itself_through_another():
    assert _cycle(_behaviour_graph()) is None


def _reachable(start: str, direction: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for successor in direction.get(todo.pop(), set()) - seen:
            seen.add(successor)
            todo.append(successor)
    return seen


def _against_the_direction(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{package} -> {target}" for package, targets in graph.items()
                  for target in targets - _reachable(package, DIRECTION))


def test_behaviour_points_the_documented_way():
    assert _against_the_direction(_behaviour_graph()) == []


def test_the_direction_check_sees_a_lower_domain_calling_a_higher_one():
    assert _against_the_direction({"questions": {"quizzes"}, "realtime": {"grading"}}) == ["questions -> quizzes"]


def _top_level_functions() -> dict[str, set[str]]:
    """Per module (`app.x.y`), the functions it defines at top level."""
    return {path.removesuffix(".py").replace("/", "."): {
        node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for path, tree in _modules()}


def _functions_taken_from_declarations(modules, functions) -> list[str]:
    """`from app.<other>.models import f` where f is a function: behaviour taken through a
    declaration module, which the graph would otherwise not count."""
    found = []
    for path, tree in modules:
        package, _module = _package_and_module(path)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            target, target_module = _target(node.module)
            if target in (None, "common", package) or target_module not in DECLARATIONS:
                continue
            found += [f"{path} imports {node.module}.{alias.name}" for alias in node.names
                      if alias.name in functions.get(node.module, set())]
    return found


def test_no_behaviour_is_taken_through_another_domains_declarations():
    assert _functions_taken_from_declarations(list(_modules()), _top_level_functions()) == []


def test_the_declaration_check_sees_a_function_taken_from_models():
    source = ast.parse("from app.quizzes.models import bump_versions, Quiz\n")
    found = _functions_taken_from_declarations([("app/questions/services.py", source)],
                                               {"app.quizzes.models": {"bump_versions"}})
    assert found == ["app/questions/services.py imports app.quizzes.models.bump_versions"]


def test_the_cycle_finder_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_common_imports_no_domain_but_its_models():
    offending = [f"{path} imports app.{target}.{target_module}"
                 for package, target, _module, target_module, path in _edges()
                 if package == "common" and target != "common" and target_module != "models"]
    assert offending == []


def test_declarations_never_import_behaviour():
    offending = [f"{path} imports app.{target}.{target_module}"
                 for package, target, module, target_module, path in _edges()
                 if module in DECLARATIONS and target != "common" and target_module not in DECLARATIONS]
    assert offending == []


def _token_primitives(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in TOKEN_PRIMITIVES:
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute) and (node.attr in TOKEN_PRIMITIVES or (
                node.attr == "decode" and isinstance(node.value, ast.Name) and node.value.id == "jwt")):
            yield node.lineno, node.attr
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in TOKEN_PRIMITIVES or (node.module == "jwt" and alias.name == "decode"):
                    yield node.lineno, alias.name


def test_only_the_token_validity_module_decodes_or_judges_tokens():
    offending = [f"{path}:{line} uses {name}" for path, tree in _modules() if path not in TOKEN_PRIMITIVE_HOMES
                 for line, name in _token_primitives(tree)]
    assert offending == []


def _token_version_uses(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "token_version":
            yield node.lineno, "token_version"
        elif isinstance(node, ast.Constant) and node.value == "ver":
            yield node.lineno, '"ver"'


def _second_token_checks() -> list[str]:
    return [f"{path}:{line} uses {name}" for path, tree in _modules() if path not in TOKEN_VERSION_HOMES
            for line, name in _token_version_uses(tree)]


def test_only_the_token_validity_module_compares_token_versions():
    assert _second_token_checks() == []


def test_a_second_definition_of_token_validity_is_seen():
    """A hand-written version check, or a decode, outside app/auth/tokens.py."""
    restated = ast.parse('if not user.is_active or claims.get("ver") != user.token_version:\n    pass\n')
    assert sorted(name for _line, name in _token_version_uses(restated)) == ['"ver"', "token_version"]
    decoding = ast.parse("from flask_jwt_extended import decode_token\nclaims = jwt.decode(raw, key)\n")
    assert sorted(name for _line, name in _token_primitives(decoding)) == ["decode", "decode_token"]
