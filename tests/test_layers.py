"""The layers of ARCHITECTURE.md hold (import-linter), and the check catches an upward import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(  # noqa: S603 - our own tool on our own tree
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_layers_hold_in_the_tree():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_layers_check_catches_an_upward_import(tmp_path):
    copy = _copy(tmp_path)
    services = copy / "src/partnerdesk/accounts/services.py"
    services.write_text(services.read_text() + "\nfrom partnerdesk.tickets.models import Ticket  # noqa: E402,F401\n")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "partnerdesk.accounts is not allowed to import partnerdesk.tickets" in result.stdout


def test_layers_check_catches_an_import_inside_a_function(tmp_path):
    copy = _copy(tmp_path)
    models = copy / "src/partnerdesk/contracts/models.py"
    models.write_text(
        models.read_text()
        + "\n\ndef _late():\n    from partnerdesk.worklog.models import TimeEntry\n\n    return TimeEntry\n"
    )
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "partnerdesk.contracts is not allowed to import partnerdesk.worklog" in result.stdout


def test_domain_module_importing_an_interface_module_is_caught(tmp_path):
    copy = _copy(tmp_path)
    selectors = copy / "src/partnerdesk/tickets/selectors.py"
    selectors.write_text(selectors.read_text() + "\nfrom partnerdesk.tickets import forms  # noqa: E402,F401\n")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "No domain module imports an interface module" in result.stdout and "BROKEN" in result.stdout


def test_pure_module_importing_django_is_caught(tmp_path):
    copy = _copy(tmp_path)
    pricing = copy / "src/partnerdesk/contracts/pricing.py"
    pricing.write_text(pricing.read_text() + "\nimport django  # noqa: E402,F401\n")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "The pure modules import no Django" in result.stdout
