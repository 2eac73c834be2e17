"""Every row lock goes through its app's locks module and locks only its own row (R4.8, ARCHITECTURE 6)."""

from __future__ import annotations

import ast
from pathlib import Path

import partnerdesk

SRC = Path(partnerdesk.__file__).parent


def _lock_calls():
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "select_for_update":
                yield path.relative_to(SRC).as_posix(), node


def test_every_select_for_update_is_in_a_locks_module():
    outside = sorted({f"{path}:{node.lineno}" for path, node in _lock_calls() if not path.endswith("/locks.py")})
    assert outside == [], "lock rows through the app's locks.py"


def test_every_lock_names_only_its_own_row():
    calls = list(_lock_calls())
    assert len(calls) >= 10  # the scan really found the locks
    loose = [f"{path}:{node.lineno}" for path, node in calls if "of" not in {k.arg for k in node.keywords}]
    assert loose == [], 'give of=("self",): a plain FOR UPDATE also locks every joined row'
