"""The floor for bench_api.py: a bare WSGI app that runs the statements partnerdesk runs for the same
request, with psycopg and nothing else, and writes byte-identical JSON (bench_api.py checks the bytes).

No Django, no middleware, no ORM, no pydantic: what is left is the database, the network and the JSON.
Served by gunicorn exactly like partnerdesk (``gunicorn floor_app:application`` from bench/), with
FLOOR_DATABASE_URL naming the database. Only what the benchmark asks is answered: the ticket list
(partner, newest first; vendor queue by due time), one ticket, and opening one.

The masking of the vendor's texts (partnerdesk.accounts.masking) and the support calendar
(partnerdesk.hours) are pure modules without Django: the floor calls them as partnerdesk does, because
the answer must be the same bytes.
"""

# ruff: noqa: S608 (the statements are built from constant column lists; every value is a parameter)
from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from partnerdesk.accounts.masking import redact  # noqa: E402
from partnerdesk.hours import VENDOR_WEEKLY, SupportCalendar  # noqa: E402

CALENDAR = SupportCalendar(VENDOR_WEEKLY, timezone="Europe/Berlin", country="DE", categories=("public",))
REQUIRED = (
    "product,product_version,environment,description,steps_to_reproduce,expected_behaviour,actual_behaviour,"
    "error_messages,business_impact,tried_by_first_level,manual_sections_consulted,category"
).split(",")
CAPTURE = [
    "product", "product_version", "environment", "description", "steps_to_reproduce", "expected_behaviour",
    "actual_behaviour", "error_messages", "business_impact", "tried_by_first_level", "manual_sections_consulted",
]  # fmt: skip
QUEUE_STATES = ["escalated", "third_level"]

# --- the statements (the same text partnerdesk's ORM writes, bench_api.py --show-sql prints both) ------

USER_COLUMNS = """u.id, u.password, u.last_login, u.is_superuser, u.first_name, u.last_name, u.is_staff, u.is_active,
u.date_joined, u.email, u.full_name, u.organisation, u.partner_id, u.role, u.language, u.notifications_off,
u.disabled_by_id"""
PARTNER_COLUMNS = (
    "p.id, p.number, p.name, p.street, p.postal_code, p.city, p.country, p.vat_id, p.email, p.is_active, p.created_at"
)
TOKEN_SQL = f"""
SELECT {USER_COLUMNS}, t.id, t.last_used_at, {PARTNER_COLUMNS}
FROM accounts_user u LEFT JOIN accounts_partner p ON u.partner_id = p.id JOIN accounts_apitoken t ON u.id = t.user_id
WHERE (u.partner_id IS NULL OR p.is_active) AND u.is_active AND (t.expires_at IS NULL OR t.expires_at > %s)
  AND t.revoked_at IS NULL AND t.token_hash = %s
LIMIT 1
"""
LIST_COLUMNS = """t.id, t.partner_id, t.end_customer_id, t.subject, t.category, t.level, t.state, t.created_at,
t.due_at, ec.name, ec.name_revealed, ec.number, ep.number"""
LIST_FROM = """FROM tickets_ticket t JOIN accounts_endcustomer ec ON t.end_customer_id = ec.id
JOIN accounts_partner ep ON ec.partner_id = ep.id"""
VISIBLE_TO_VENDOR = "(t.level >= 2 OR t.escalated_at IS NOT NULL)"
PARTNER_COUNT = """SELECT COUNT(*) FROM (SELECT t.id FROM tickets_ticket t WHERE t.partner_id = %s
ORDER BY t.created_at DESC, t.id DESC LIMIT 1001) s"""
PARTNER_PAGE = f"""SELECT {LIST_COLUMNS} {LIST_FROM} WHERE t.partner_id = %s
ORDER BY t.created_at DESC, t.id DESC LIMIT 50"""
QUEUE_COUNT = f"""SELECT COUNT(*) FROM (SELECT t.id FROM tickets_ticket t WHERE {VISIBLE_TO_VENDOR}
AND t.state = ANY(%s) ORDER BY t.due_at ASC NULLS LAST, t.id ASC LIMIT 1001) s"""
QUEUE_PAGE = f"""SELECT {LIST_COLUMNS} {LIST_FROM} WHERE {VISIBLE_TO_VENDOR} AND t.state = ANY(%s)
ORDER BY t.due_at ASC NULLS LAST, t.id ASC LIMIT 50"""
CONTACTS = """SELECT end_customer_id, name, email, phone FROM accounts_contactperson
WHERE end_customer_id = ANY(%s) ORDER BY id"""
DETAIL_COLUMNS = """t.id, t.partner_id, t.end_customer_id, t.subject, t.category, t.level, t.state,
t.charged_contract_id, t.created_at, t.escalated_at, t.resolved_at, t.first_response_due_at, t.first_response_at,
t.resolution_due_at, t.clock_paused_at, t.due_at, """ + ", ".join(f"t.{c}" for c in CAPTURE)
DETAIL = f"""SELECT {DETAIL_COLUMNS}, ec.name, ec.name_revealed, ec.number, ep.number, ec.id, ec.partner_id, ep.id
{LIST_FROM} WHERE t.partner_id = %s AND t.id = %s LIMIT 21"""
DEFECTS = """SELECT d.id, d.key, d.title, d.status, d.fixed_in_version FROM tickets_productdefect d
JOIN tickets_productdefect_tickets dt ON d.id = dt.productdefect_id WHERE dt.ticket_id = %s
ORDER BY d.created_at DESC, d.id DESC"""
END_CUSTOMER = f"""SELECT ec.id, ec.partner_id, ec.name, ec.name_revealed, ec.number, ec.is_active, p.number,
ec.street, ec.postal_code, ec.city, ec.country, ec.created_at, ec.updated_at, {PARTNER_COLUMNS}
FROM accounts_endcustomer ec JOIN accounts_partner p ON ec.partner_id = p.id
WHERE ec.partner_id = %s AND ec.id = %s LIMIT 21"""
INSERT_TICKET = """INSERT INTO tickets_ticket (partner_id, end_customer_id, subject, category, level, state,
charged_contract_id, created_by_id, created_at, updated_at, escalated_at, resolved_at, first_response_due_at,
first_response_at, resolution_due_at, clock_paused_at, due_at, {capture}) VALUES (%s, %s, %s, %s, 1, 'new', NULL,
%s, %s, %s, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {values}) RETURNING id""".format(
    capture=", ".join(CAPTURE), values=", ".join(["%s"] * len(CAPTURE))
)
INSERT_TRANSITION = """INSERT INTO tickets_tickettransition (ticket_id, at, actor_id, from_state, to_state,
from_level, to_level, reason, note) VALUES (%s, %s, %s, '', 'new', 1, 1, 'created', '') RETURNING id"""
INSERT_FOLLOWER = """INSERT INTO tickets_ticketfollower (ticket_id, user_id, created_at) VALUES (%s, %s, %s)
ON CONFLICT DO NOTHING"""

_connection: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["FLOOR_DATABASE_URL"], autocommit=True)
        _connection.execute("SET TIME ZONE 'UTC'")
    return _connection


def moment(value: datetime | None) -> str | None:
    """As Django's JSON encoder writes it (milliseconds, Z)."""
    if value is None:
        return None
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def pseudonym(partner_number: int, number: int) -> str:
    return f"P{partner_number:02d}-C{number:04d}"


def answer(start_response: Any, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def authenticate(cursor: psycopg.Cursor, environ: dict[str, Any]) -> tuple[int, bool, int | None] | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    raw = header.removeprefix("Bearer ")
    now = datetime.now(UTC)
    row = cursor.execute(TOKEN_SQL, [now, hashlib.sha256(raw.encode()).hexdigest()]).fetchone()
    if row is None:
        return None
    if row[18] is None or (now - row[18]).total_seconds() > 60:
        cursor.execute("UPDATE accounts_apitoken SET last_used_at = %s WHERE id = %s", [now, row[17]])
    return row[0], row[11] == "vendor", row[12]


def list_items(cursor: psycopg.Cursor, rows: list[tuple[Any, ...]], vendor: bool) -> list[dict[str, Any]]:
    maskers: dict[int, Any] = {}
    if vendor:
        persons: dict[int, list[Any]] = {}
        for ec_id, name, email, phone in cursor.execute(CONTACTS, [list({r[2] for r in rows})]):
            persons.setdefault(ec_id, []).append(SimpleNamespace(name=name, email=email, phone=phone))
    items = []
    for r in rows:
        shown = r[9] if not vendor or r[10] else pseudonym(r[12], r[11])
        subject = r[3]
        if vendor and subject:
            customer = SimpleNamespace(name=r[9], name_revealed=r[10], pseudonym=pseudonym(r[12], r[11]))
            subject = redact(subject, persons=persons.get(r[2], []), end_customer=customer)
        items.append(
            {
                "id": r[0],
                "partner_id": r[1],
                "end_customer_id": r[2],
                "end_customer": shown,
                "subject": subject,
                "category": r[4],
                "level": r[5],
                "state": r[6],
                "created_at": moment(r[7]),
                "due_at": moment(r[8]),
            }
        )
    del maskers
    return items


def ticket_out(cursor: psycopg.Cursor, r: tuple[Any, ...], defects: bool = True) -> dict[str, Any]:
    capture = dict(zip(CAPTURE, r[16:27], strict=True))
    fields = {"category": r[4], **capture}
    now = datetime.now(UTC)
    due = r[15]
    return {
        "id": r[0],
        "partner_id": r[1],
        "end_customer_id": r[2],
        "end_customer": r[27],
        "subject": r[3],
        "category": r[4],
        "level": r[5],
        "state": r[6],
        "charged_contract_id": r[7],
        "created_at": moment(r[8]),
        "escalated_at": moment(r[9]),
        "resolved_at": moment(r[10]),
        "first_response_due_at": moment(r[11]),
        "first_response_at": moment(r[12]),
        "resolution_due_at": moment(r[13]),
        "due_at": moment(due),
        "clock_paused": r[14] is not None,
        "support_minutes_left": None if due is None else int(CALENDAR.between(now, due).total_seconds() // 60),
        **capture,
        "missing_for_escalation": [f for f in REQUIRED if not str(fields.get(f) or "").strip()],
        "defects": [
            {"id": d[0], "key": d[1], "title": d[2], "status": d[3], "fixed_in_version": d[4]}
            for d in (cursor.execute(DEFECTS, [r[0]]).fetchall() if defects else [])
        ],
    }


def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    cursor = connection().cursor()
    who = authenticate(cursor, environ)
    if who is None:
        return answer(start_response, "401 Unauthorized", {"detail": "Unauthorized"})
    user_id, vendor, partner_id = who
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path == "/api/v1/tickets" and method == "GET":
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if vendor:
            states = query.get("state", QUEUE_STATES)
            count = cursor.execute(QUEUE_COUNT, [states]).fetchone()[0]
            rows = cursor.execute(QUEUE_PAGE, [states]).fetchall()
        else:
            count = cursor.execute(PARTNER_COUNT, [partner_id]).fetchone()[0]
            rows = cursor.execute(PARTNER_PAGE, [partner_id]).fetchall()
        return answer(start_response, "200 OK", {"items": list_items(cursor, rows, vendor), "count": count})
    if path.startswith("/api/v1/tickets/") and method == "GET":
        row = cursor.execute(DETAIL, [partner_id, int(path.rsplit("/", 1)[1])]).fetchone()
        if row is None:
            return answer(start_response, "404 Not Found", {"detail": "Not Found"})
        return answer(start_response, "200 OK", ticket_out(cursor, (*row[:27], row[27])))
    if path == "/api/v1/tickets" and method == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        payload = json.loads(environ["wsgi.input"].read(size))
        customer = cursor.execute(END_CUSTOMER, [partner_id, payload["end_customer_id"]]).fetchone()
        if customer is None:
            return answer(start_response, "404 Not Found", {"detail": "Not Found"})
        now = datetime.now(UTC)
        capture = [payload.get(c) or "" for c in CAPTURE]
        category = payload.get("category") or ""
        with connection().transaction():
            (ticket_id,) = cursor.execute(
                INSERT_TICKET,
                [customer[1], customer[0], payload["subject"], category, user_id, now, now, *capture],
            ).fetchone()
            cursor.execute(INSERT_TRANSITION, [ticket_id, now + timedelta(microseconds=1), user_id])
            cursor.execute(INSERT_FOLLOWER, [ticket_id, user_id, now])
        row = (
            ticket_id, customer[1], customer[0], payload["subject"], category, 1, "new", None, now,
            None, None, None, None, None, None, None, *capture, customer[2],
        )  # fmt: skip
        return answer(start_response, "201 Created", ticket_out(cursor, row, defects=False))
    return answer(start_response, "404 Not Found", {"detail": "Not Found"})
