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
TOKEN_VALIDITY = "app/auth/tokens.py"
# Names that decode or judge a token (with PyJWT's `jwt.decode`): only the token-validity
# module uses them.
TOKEN_PRIMITIVES = {"decode_token", "TokenBlocklist"}
TOKEN_PRIMITIVE_HOMES = {TOKEN_VALIDITY, "app/auth/models.py", "app/models.py"}


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
