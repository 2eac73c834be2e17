"""Side effects leave only after commit (ARCHITECTURE conventions 2 and 19): for every ``transaction.on_commit``
and every outbox ``enqueue`` in the source there is a test in tests/<app>/test_rollback.py whose transaction
raises after the service call and which asserts that no mail was sent and no notification left behind (and,
first, that the committed path does send, so the test can fail). The sites are discovered from the source; one
without a test fails here.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import partnerdesk

SOURCE = Path(partnerdesk.__file__).parent

ROLLBACK_TESTS = {
    "contracts/services.py:request_individual_contract": "tests.contracts.test_rollback:"
    + "test_r2_2_individual_contract_request_rolled_back_sends_sales_no_mail",
    "contracts/mail.py:enqueue_mails": "tests.contracts.test_rollback:"
    + "test_r2_2_individual_contract_request_rolled_back_sends_sales_no_mail",
    "contact/outbound.py:send_mail_to_end_customer.act": "tests.contact.test_rollback:"
    + "test_r9_3_mail_to_end_customer_rolled_back_is_neither_sent_nor_recorded",
    "contact/services.py:notify_partner_of_reply": "tests.contact.test_rollback:"
    + "test_r9_5_end_customer_reply_rolled_back_tells_the_partner_nothing",
    # Every notification (R4.9, R6.3, R7.1): rolled back for each kind of change that causes one.
    "channels/notifications.py:_enqueue": "tests.channels.test_rollback:"
    + "test_r7_1_rolled_back_change_leaves_no_notification",
    "channels/user_invitations.py:send_set_password_mail": "tests.accounts.test_invitations:"
    + "test_r1_5_invitation_rolled_back_leaves_no_user_and_no_mail",
    # Web-meeting invitations (R7.3) to partner/vendor users and, through the gate, to end customers (R9.3).
    "channels/invitations.py:enqueue_staff_invitations": "tests.channels.test_rollback:"
    + "test_r7_3_rolled_back_meeting_sends_no_invitation",
    "channels/invitations.py:enqueue_end_customer_invitation": "tests.channels.test_rollback:"
    + "test_r7_3_rolled_back_meeting_sends_no_invitation",
    "billing/delivery.py:_enqueue_mail": "tests.billing.test_delivery:"
    + "test_r10_6_a_failure_while_storing_leaves_neither_documents_nor_mail",
    # Retention (issue 17): an attachment's file is deleted only after the row saying so committed.
    "ops/retention.py:_remove_attachments": "tests.ops.test_retention:test_r13_2_rolled_back_retention_removes_no_file",
}
# Calls that write a side effect into the caller's transaction (the outbox) count as sites too.
ENQUEUE_NAMES = {"enqueue", "enqueue_mails"}


def on_commit_sites() -> set[str]:
    """`app/module.py:function` (nested ones as `outer.inner`) of every function that registers an on_commit."""
    sites: set[str] = set()

    def visit(node: ast.AST, module: str, qualname: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, module, f"{qualname}.{child.name}" if qualname else child.name)
                continue
            if isinstance(child, ast.Attribute) and child.attr == "on_commit":
                sites.add(f"{module}:{qualname}")
            if isinstance(child, ast.Call) and not module.startswith("outbox/"):
                called = getattr(child.func, "attr", None) or getattr(child.func, "id", None)
                if called in ENQUEUE_NAMES:
                    sites.add(f"{module}:{qualname}")
            visit(child, module, qualname)

    for path in SOURCE.rglob("*.py"):
        visit(ast.parse(path.read_text(encoding="utf-8")), path.relative_to(SOURCE).as_posix(), "")
    return sites


def test_every_on_commit_side_effect_has_a_rollback_test():
    sites = on_commit_sites()
    assert "channels/notifications.py:_enqueue" in sites
    missing = sorted(sites - set(ROLLBACK_TESTS))
    assert not missing, f"on_commit side effects without a rollback test: {missing}"
    assert not sorted(set(ROLLBACK_TESTS) - sites), "ROLLBACK_TESTS names sites that no longer exist"
    for test in ROLLBACK_TESTS.values():
        module, name = test.split(":")
        assert callable(getattr(importlib.import_module(module), name, None)), f"no such test: {test}"
