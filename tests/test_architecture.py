"""The layout is the architecture (DESIGN.md section 2): imports run hotline -> intake -> crypto only, the
domain knows nothing of HTTP, templates or Twilio, and no module holds settings at import time."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "crypto": {"intake", "hotline", "sqlmodel", "sqlalchemy", "starlette", "jinja2", "twilio", "alembic"},
    "intake": {"hotline", "starlette", "jinja2", "twilio", "uvicorn", "multipart"},
    "hotline": set(),
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package):
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        bad = imported_roots(path) & FORBIDDEN[package]
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


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
