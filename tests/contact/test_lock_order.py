"""R9.3, R9.4 on PostgreSQL: everything that appends to a partner's audit chain takes one lock order.

Every writer locks the partner's chain head first and the rows an audit row points to only with
`FOR NO KEY UPDATE` (contact/audit.py), so the deferred foreign-key checks at COMMIT (`KEY SHARE`) never
wait for a lock whose holder waits for the chain. Real parallel connections (threads, one connection each)
over the real API: vendor sends and reads of the ticket's contacts, the partner toggling the end customer's
name, granting and revoking, and two outbox workers delivering, repeated. No request fails, the revocation
wins, every delivered mail has its audit row and status.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.contact.audit import verify_chain
from partnerdesk.contact.choices import AppearAs, AuditAction, Channel
from partnerdesk.contact.models import AuditEntry, EndCustomerMail
from partnerdesk.outbox.delivery import deliver_due
from tests.conftest import ApiClient

ROUNDS = 20
SENDERS, READERS, WORKERS = 3, 2, 2


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "R9.3/R9.4 lock order needs PostgreSQL (row locks, deferred key checks, parallel connections); "
            f"run with DATABASE_URL=postgres://... (this run uses {connection.vendor})"
        )


def _run_together(jobs: list[Any]) -> list[BaseException]:
    barrier, errors = threading.Barrier(len(jobs)), []

    def run(job: Any) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung (a lock that is never released)"
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r9_3_parallel_sends_reads_reveals_and_a_revoke_never_deadlock_and_the_revoke_wins(contact_world, smtp_server):
    _require_postgres()
    cw = contact_world
    ticket, customer = cw.ticket, cw.ticket.end_customer
    senders = [ApiClient(cw.agent) for _ in range(SENDERS)]
    readers = [ApiClient(cw.agent) for _ in range(READERS)]
    partner = ApiClient(cw.world.user(Role.L1_AGENT))
    granter = ApiClient(cw.world.user(Role.PARTNER_ADMIN))
    customer_url = f"partners/{customer.partner_id}/end-customers/{customer.pk}"
    rng = random.Random(9)
    statuses: list[tuple[str, int]] = []
    record = statuses.append

    for round_no in range(ROUNDS):
        authorization = cw.grant(channels=[Channel.EMAIL], appear_as=AppearAs.PARTNER)

        def send(client: ApiClient, n: int = round_no) -> None:
            for i in range(8):
                response = client.post(
                    f"tickets/{ticket.pk}/end-customer-mails",
                    {"contact_person_id": cw.person.pk, "subject": f"round {n} mail {i}", "body": "Hello"},
                )
                record(("send", response.status_code))
                if response.status_code == 403:  # revoked: the gate refuses from now on
                    return

        def read(client: ApiClient) -> None:
            for _ in range(4):
                record(("read", client.get(f"tickets/{ticket.pk}/contacts").status_code))

        def toggle() -> None:
            for revealed in (True, False, True, False):
                record(("toggle", partner.patch(customer_url, {"name_revealed": revealed}).status_code))

        def grant_other() -> None:
            response = granter.post(
                "authorizations",
                {
                    "end_customer_id": customer.pk,
                    "ticket_id": ticket.pk,
                    "channels": [Channel.CALL],
                    "contact_person_ids": [cw.colleague.pk],
                    "valid_until": (timezone.now() + timedelta(days=1)).isoformat(),
                    "appear_as": AppearAs.PARTNER,
                },
            )
            record(("grant", response.status_code))

        def revoke(pk: int = authorization.pk) -> None:
            time.sleep(rng.uniform(0.05, 0.3))  # some mails go out first
            record(("revoke", partner.post(f"authorizations/{pk}/revoke").status_code))

        def work() -> None:
            # An outbox worker delivering while the others write: its pre-send check takes the same locks.
            for _ in range(8):
                deliver_due(limit=4)
                time.sleep(0.03)

        jobs = (
            [lambda c=c: send(c) for c in senders]
            + [lambda c=c: read(c) for c in readers]
            + [toggle, grant_other, revoke]
            + [work for _ in range(WORKERS)]
        )
        errors = _run_together(jobs)
        assert errors == [], f"round {round_no}: {errors!r}"
        deliver_due(limit=1000)  # what is left: refused now, since the revocation committed

        authorization.refresh_from_db()
        assert authorization.revoked_at is not None, f"round {round_no}: the revocation did not take effect"
        revoked = AuditEntry.objects.get(authorization=authorization, action=AuditAction.AUTHORIZATION_REVOKED)
        after = AuditEntry.objects.filter(
            authorization=authorization,
            action__in=[AuditAction.CONTACT_MADE, AuditAction.MAIL_DELIVERED],
            seq__gt=revoked.seq,
        )
        assert not after.exists(), f"round {round_no}: contact after the revocation committed"

    bad = [s for s in statuses if s[1] >= 500 or s[1] not in (200, 201, 403)]
    assert bad == [], bad
    assert ("revoke", 200) in statuses and all(code == 200 for kind, code in statuses if kind == "revoke")
    # Every delivered mail has its status and its audit row; none is left half-done.
    mails = EndCustomerMail.objects.filter(direction=EndCustomerMail.Direction.OUTBOUND)
    assert not mails.filter(status__in=[EndCustomerMail.Status.QUEUED, EndCustomerMail.Status.SENDING]).exists()
    sent = {m.message_id: m.pk for m in mails.filter(status=EndCustomerMail.Status.SENT)}
    assert sorted(str(m["Message-ID"]).strip() for m in smtp_server.messages) == sorted(sent)
    logged = set(AuditEntry.objects.filter(action=AuditAction.MAIL_DELIVERED).values_list("detail__mail", flat=True))
    assert logged == set(sent.values())
    assert len(sent) > 0 and verify_chain(customer.partner_id) is None
    print(f"\n{ROUNDS} rounds: {len(statuses)} requests, {len(sent)} mails delivered, none after a revocation")
