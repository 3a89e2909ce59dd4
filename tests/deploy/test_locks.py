"""The dependency locks: every `requirements*.txt` pin is in its `requirements*.lock` at
the same version, every locked file is checked against a hash, and what installs
(`make setup`, `make docs`, the image) installs from the locks. `make lock` regenerates
them after a pin changes."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENT_FILES = sorted(ROOT.glob("requirements*.txt"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """The `name==version` pins of a requirements file, those of its `-r` includes too."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ")):
            found |= pins(path.parent / line.split(None, 1)[1])
        elif match := PIN.match(line):
            found[canonical(match[1])] = match[2]
    return found


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """Each locked package's version and the number of hashes listed for it."""
    entries, current = {}, None
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            current = canonical(match[1])
            entries[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


def test_every_requirements_file_has_a_lock():
    assert REQUIREMENT_FILES, "no requirements*.txt found"
    missing = [p.name for p in REQUIREMENT_FILES if not p.with_suffix(".lock").is_file()]
    assert not missing, f"run `make lock`: no lock for {missing}"


@pytest.mark.parametrize("requirements", REQUIREMENT_FILES, ids=lambda p: p.name)
def test_every_pin_is_locked_at_its_version(requirements):
    lock = locked(requirements.with_suffix(".lock"))
    wrong = {name: (version, lock.get(name, ("missing", 0))[0])
             for name, version in pins(requirements).items()
             if lock.get(name, ("missing", 0))[0] != version}
    assert not wrong, f"pin vs lock {wrong}: run `make lock` and commit both"


@pytest.mark.parametrize("requirements", REQUIREMENT_FILES, ids=lambda p: p.name)
def test_every_locked_package_carries_a_hash(requirements):
    unhashed = [name for name, (_, hashes) in locked(requirements.with_suffix(".lock")).items()
                if hashes == 0]
    assert not unhashed


def test_the_docs_lock_agrees_with_the_dev_lock_on_what_both_install():
    dev, docs = locked(ROOT / "requirements-dev.lock"), locked(ROOT / "requirements-docs.lock")
    differ = {name: (dev[name][0], docs[name][0]) for name in dev.keys() & docs.keys()
              if dev[name][0] != docs[name][0]}
    assert not differ, "both install into one .venv"


def test_installs_go_through_the_locks_with_hashes_required():
    makefile = (ROOT / "Makefile").read_text()
    installs = re.findall(r"pip install[^\n]*", makefile)
    assert installs and all("--require-hashes -r requirements" in line and ".lock" in line
                            for line in installs), installs
    for lock in ("requirements-dev.lock", "requirements-docs.lock", "requirements-mysqlclient.lock"):
        assert f"-r {lock}" in makefile
    assert re.search(r"^lock:", makefile, re.M)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
