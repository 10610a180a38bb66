"""The import-linter contract in pyproject.toml holds, and it would catch a wrong arrow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from outcomelens.core import paths

PACKAGES = ("outcomelens", "ingestion", "orchestration", "analytics", "expectations", "accounts", "dashboard")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def copy_project(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(paths.PROJECT_ROOT / package, target / package,
                        ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    shutil.copy(paths.PROJECT_ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_the_tree_keeps_its_layers():
    result = lint(paths.PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_core_importing_the_cli_breaks_the_contract(tmp_path):
    root = copy_project(tmp_path)
    (root / "outcomelens" / "core" / "wrong_arrow.py").write_text("from outcomelens.cli import main\n")
    result = lint(root)
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout
    assert "outcomelens.core.wrong_arrow -> outcomelens.cli" in result.stdout
