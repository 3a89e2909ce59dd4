"""Where programs live: operators' wrappers in scripts/, load tests in benchmarks/ (which
never lean on the test suite), end-to-end and fault runs under tests/e2e/."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_SCRIPTS = {"create_admin.py", "seed_data.py", "scheduler.sh"}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_scripts_holds_only_what_an_operator_runs():
    present = {p.name for p in (ROOT / "scripts").iterdir() if p.is_file()}
    assert present == OPERATOR_SCRIPTS, (
        "scripts/ is for operators; benchmarks go to benchmarks/, end-to-end runs to tests/e2e/")


def test_benchmarks_import_neither_the_test_suite_nor_scripts():
    leaning = {str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path)
                                                   if m.split(".")[0] in ("tests", "scripts"))
               for path in (ROOT / "benchmarks").glob("*.py")}
    assert leaning and not any(leaning.values()), leaning


def test_every_program_ci_runs_exists():
    ci = (ROOT / ".ci" / "run").read_text()
    programs = set(re.findall(r"\b((?:tests|scripts|nginx|benchmarks)/[\w/.-]+\.(?:sh|py))\b", ci))
    assert {"tests/e2e/e2e.sh", "tests/e2e/faults.py"} <= programs
    assert [p for p in sorted(programs) if not (ROOT / p).is_file()] == []
