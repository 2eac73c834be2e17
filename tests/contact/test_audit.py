"""R9.4: the audit log is append-only, hash-chained per partner, readable and exportable by the partner;
tampering in the database makes `partnerdesk audit verify` fail and name the first broken row."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from partnerdesk.accounts.choices import Role
from partnerdesk.contact.audit import append_entry, verify_chain
from partnerdesk.contact.choices import AuditAction, Channel
from partnerdesk.contact.models import AuditChainHead, AuditEntry, AuditLogIsAppendOnly
from partnerdesk.contact.selectors import contacts_shown_to

ROOT = Path(__file__).resolve().parents[2]


def _a_few_rows(cw):
    authorization = cw.grant(channels=[Channel.EMAIL, Channel.CALL])
    contacts_shown_to(cw.agent, cw.ticket, via="api")
    from partnerdesk.contact import services

    services.revoke_authorization(acting_user=cw.world.user(Role.L1_AGENT), authorization=authorization)
    return list(AuditEntry.objects.filter(partner=cw.world.partner_a).order_by("seq"))


def _raw(sql, params=()):
    """Tamper as someone with the database's keys would: past the application and (on PostgreSQL, as a
    superuser) past the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def _verify():
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)
    return out.getvalue()


def test_r9_4_rows_cannot_be_changed_or_deleted_through_the_application(contact_world):
    entry = _a_few_rows(contact_world)[0]
    entry.detail = {"channels": ["email"]}
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.bulk_create([AuditEntry(partner=contact_world.world.partner_a, seq=99)])
    assert verify_chain(contact_world.world.partner_a.pk) is None


def test_r9_4_on_postgresql_the_database_refuses_updates_and_deletes(contact_world):
    if connection.vendor != "postgresql":
        pytest.skip(f"the append-only trigger exists on PostgreSQL only (this run uses {connection.vendor})")
    entry = _a_few_rows(contact_world)[0]
    for sql in (
        "UPDATE contact_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM contact_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert verify_chain(contact_world.world.partner_a.pk) is None


def test_r9_4_each_row_carries_the_previous_rows_hash(contact_world):
    rows = _a_few_rows(contact_world)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    head = AuditChainHead.objects.get(partner=contact_world.world.partner_a)
    assert (head.last_seq, head.last_hash) == (3, rows[-1].hash)
    assert "audit log intact: 3 entries checked." in _verify()


def test_r9_4_tampering_with_a_row_in_the_database_fails_verify(contact_world):
    rows = _a_few_rows(contact_world)
    _raw(
        "UPDATE contact_auditentry SET detail = %s WHERE id = %s",
        ['{"channels": ["email"], "contact_persons": [], "scope": "ticket"}', rows[0].pk],
    )
    with pytest.raises(CommandError) as failed:
        _verify()
    assert failed.value.returncode == 1
    assert f"entry #1 (row id {rows[0].pk}): content does not match its hash" in str(failed.value)


def test_r9_4_deleting_a_row_in_the_middle_fails_verify(contact_world):
    rows = _a_few_rows(contact_world)
    _raw("DELETE FROM contact_auditentry WHERE id = %s", [rows[1].pk])
    with pytest.raises(CommandError, match="expected entry #2, found #3"):
        _verify()


def test_r9_4_deleting_the_last_row_fails_verify(contact_world):
    rows = _a_few_rows(contact_world)
    _raw("DELETE FROM contact_auditentry WHERE id = %s", [rows[-1].pk])
    with pytest.raises(CommandError, match="the head names entry #3, the log ends at #2"):
        _verify()


def test_r9_4_rewriting_a_row_with_a_fresh_hash_breaks_the_next_link(contact_world):
    rows = _a_few_rows(contact_world)
    forged = rows[0]
    forged.actor_label = "someone else"
    _raw(
        "UPDATE contact_auditentry SET actor_label = %s, hash = %s WHERE id = %s",
        ["someone else", forged.compute_hash(), forged.pk],
    )
    with pytest.raises(CommandError, match="entry #2 .* does not continue the previous entry's hash"):
        _verify()


def test_r9_4_partner_reads_its_own_log_vendor_admin_all(contact_world, api_as):
    _a_few_rows(contact_world)
    append_entry(partner=contact_world.world.partner_b, action=AuditAction.END_CUSTOMER_NAME_REVEALED)
    for role in (Role.L1_AGENT, Role.PARTNER_ADMIN):
        body = api_as(role).get("audit-log").json()
        assert body["count"] == 3 and {e["partner_id"] for e in body["items"]} == {contact_world.world.partner_a.pk}
    assert api_as(contact_world.world.outsider[Role.L1_AGENT]).get("audit-log").json()["count"] == 1
    assert api_as(Role.VENDOR_ADMIN).get("audit-log").json()["count"] == 4
    for role in (Role.L2_AGENT, Role.SALES, Role.BILLING):
        assert api_as(role).get("audit-log").json()["count"] == 0
    filtered = api_as(Role.L1_AGENT).get("audit-log?action=contact_data_revealed").json()
    assert [e["action"] for e in filtered["items"]] == ["contact_data_revealed"]


def test_r9_4_partner_exports_its_log_as_csv_with_names_vendor_admin_with_ids(contact_world, api_as):
    _a_few_rows(contact_world)
    response = api_as(Role.PARTNER_ADMIN).get("audit-log/export")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["seq"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["action"] == "authorization_granted" and rows[0]["contact_persons"] == "Jens Hansen"
    assert rows[1]["hash"] and rows[1]["prev_hash"] == rows[0]["hash"]
    vendor = api_as(Role.VENDOR_ADMIN).get("audit-log/export").content.decode()
    assert "Jens Hansen" not in vendor and f"#{contact_world.person.pk}" in vendor


def test_r9_4_audit_log_page_and_csv_for_the_partner(contact_world, client):
    _a_few_rows(contact_world)
    client.force_login(contact_world.world.user(Role.L1_AGENT))
    page = client.get("/contact/audit-log/").content.decode()
    assert "Authorisation granted" in page and "Contact data shown to the vendor" in page
    assert "l2_agent@vendor.example" in page  # the partner sees who at the vendor saw the data
    exported = client.get("/contact/audit-log.csv?action=authorization_revoked").content.decode()
    assert exported.count("\n") == 2 and "authorization_revoked" in exported


# --- PostgreSQL: parallel appends, the command line ---------------------------------------------------


def _require_postgres():
    if connection.vendor != "postgresql":
        pytest.skip(
            f"needs PostgreSQL (row locks, a database other processes can see); this run uses {connection.vendor}"
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r9_4_parallel_appends_cannot_fork_the_chain(world):
    _require_postgres()
    partner_id, threads, per_thread = world.partner_a.pk, 8, 25
    barrier, errors = threading.Barrier(threads), []

    def append_many() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                append_entry(partner=partner_id, action=AuditAction.CONTACT_DATA_REVEALED, detail={"via": "test"})
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=append_many) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    seqs = list(AuditEntry.objects.filter(partner_id=partner_id).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, threads * per_thread + 1))
    assert verify_chain(partner_id) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r9_4_the_command_line_exits_non_zero_on_tampering(world):
    _require_postgres()
    entry = append_entry(partner=world.partner_a, action=AuditAction.AUTHORIZATION_GRANTED, detail={"channels": []})
    append_entry(partner=world.partner_a, action=AuditAction.AUTHORIZATION_REVOKED)
    db = settings.DATABASES["default"]
    url = f"postgres://{quote(db['USER'] or '')}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{quote(db['PASSWORD'])}@", 1)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "partnerdesk.settings"}
    command = [sys.executable, "-m", "partnerdesk", "audit", "verify"]
    ok = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert ok.returncode == 0, ok.stderr
    assert "audit log intact: 2 entries checked." in ok.stdout
    _raw('UPDATE contact_auditentry SET detail = \'{"channels": ["email"]}\' WHERE id = %s', [entry.pk])
    broken = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert broken.returncode == 1
    assert (
        f"partner {world.partner_a.pk}, entry #1 (row id {entry.pk}): content does not match its hash" in broken.stderr
    )
