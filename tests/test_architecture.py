"""The layout is the architecture (docs/design.md#architecture): imports run hotline -> intake -> crypto only, the
domain knows nothing of HTTP, templates or Twilio, intake's subpackages keep the directions written in
docs/design.md#import-rules-inside-intake, and no module holds settings at import time."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "crypto": {"intake", "hotline", "sqlmodel", "sqlalchemy", "starlette", "jinja2", "twilio", "alembic"},
    "intake": {"hotline", "starlette", "jinja2", "twilio", "uvicorn", "multipart"},
    "hotline": set(),
}
INTAKE = ROOT / "intake"
SUBPACKAGES = ("reports", "casework", "accounts", "keys", "audit", "phone", "exit", "operations", "limits",
               "disclosure")
SHARED = ("db", "config", "clock", "errors", "text", "messages", "categories", "cities", "routing", "items",
          "case_status")
MAX_TOP_LEVEL_MODULES = 12  # __init__ included; the shared few, everything else by concept
# docs/design.md#import-rules-inside-intake: which intake subpackages each part may import (models always).
ALLOWED = {
    "shared": {"audit"},
    "audit.chain": set(), "audit.actions": set(), "audit.export": set(),
    "audit.viewer": {"accounts", "casework"}, "audit.timeline": {"accounts", "casework"},
    "keys": {"audit"},
    "accounts": {"audit", "keys", "limits"},
    "limits": set(),
    "disclosure": set(),
}
NEVER = {
    "reports": {"casework", "phone", "exit", "operations"},
    "phone": {"casework", "exit", "operations"},
    "exit": {"reports", "casework", "phone", "operations"},
    "casework": {"exit", "operations"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def intake_subpackages_imported(path: Path) -> set[str]:
    """The intake subpackages (not models) a module imports: ``from intake import audit`` counts as audit."""
    parts = {name.split(".")[1] for name in imported_modules(path) if name.startswith("intake.")}
    return {part for part in parts if part in SUBPACKAGES}


def own_part(path: Path) -> tuple[str, str]:
    """(subpackage or "shared", module name) of a module under intake/."""
    relative = path.relative_to(INTAKE).with_suffix("")
    if len(relative.parts) == 1:
        return "shared", relative.parts[0]
    return relative.parts[0], relative.parts[1] if len(relative.parts) > 1 else "__init__"


def intake_modules() -> list[Path]:
    return [path for path in INTAKE.rglob("*.py") if "migrations" not in path.parts]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package):
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        bad = imported_roots(path) & FORBIDDEN[package]
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def offences(path: Path, part: str, module: str) -> set[str]:
    """The subpackages ``path`` (a module of ``part``) imports against docs/design.md#import-rules-inside-intake."""
    imported = intake_subpackages_imported(path) - {part}
    allowed = ALLOWED.get(f"{part}.{module}", ALLOWED.get(part))
    bad = (imported - allowed) if allowed is not None else imported & NEVER.get(part, set())
    if part != "operations":
        bad |= imported & {"operations"}
    return bad


def test_intake_keeps_the_directions_between_its_subpackages():
    offenders = {}
    for path in intake_modules():
        if bad := offences(path, *own_part(path)):
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_direction_check_can_fail(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from intake.casework import cases\nfrom intake import audit, operations\nimport intake.models\n")
    assert offences(probe, "reports", "probe") == {"casework", "operations"}
    assert offences(probe, "keys", "probe") == {"casework", "operations"}
    assert offences(probe, "shared", "probe") == {"casework", "operations"}
    assert offences(probe, "audit", "chain") == {"casework", "operations"}
    assert offences(probe, "audit", "viewer") == {"operations"}
    assert offences(probe, "operations", "probe") == set()


def test_intake_keeps_a_short_top_level_and_says_what_each_subpackage_holds():
    top = sorted(path.stem for path in INTAKE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    assert set(top) == {"__init__", *SHARED}
    packages = sorted(path.parent.name for path in INTAKE.glob("*/__init__.py") if path.parent.name != "migrations")
    assert set(packages) == {*SUBPACKAGES, "models"}
    for name in packages:
        docstring = ast.get_docstring(ast.parse((INTAKE / name / "__init__.py").read_text()))
        assert docstring and len(docstring) > 40, f"intake/{name}/__init__.py says nothing of what it holds"


def test_no_module_reads_the_environment_at_import_time():
    offenders = []
    for package in FORBIDDEN:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in tree.body:  # statements run at import; definitions run later
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    continue
                if "os.environ" in ast.unparse(node) or "getenv" in ast.unparse(node):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_tests_mirror_the_packages():
    for package in ("crypto", "intake", "hotline", "e2e"):
        assert (ROOT / "tests" / package).is_dir()
    for name in SUBPACKAGES:
        if name != "keys" or (ROOT / "tests" / "intake" / "keys").is_dir():
            assert (ROOT / "tests" / "intake" / name).is_dir(), f"tests/intake/{name} is missing"
    named_after_issues = [str(path.relative_to(ROOT)) for path in (ROOT / "tests").rglob("test_*issue*.py")]
    assert named_after_issues == []
