"""What the speed issue changed keeps the rules: the ticket list's rows, a revoked token, the database's
constraint as a 422, the C timestamp loader, bounded page counts and figures (R1.5, R5.1, R9.1, R12.2)."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ApiToken
from partnerdesk.accounts.services import create_api_token, revoke_api_token
from partnerdesk.tickets import selectors, services
from partnerdesk.tickets.choices import Category, Level, TicketState
from partnerdesk.tickets.models import Ticket, TicketFollower, TicketTransition
from tests.factories import ContactPersonFactory, EndCustomerFactory


def _ticket(world, **fields):
    values = {
        "partner": world.partner_a,
        "end_customer": world.customer_a,
        "subject": "Jens Hansen cannot print",
        "category": Category.MALFUNCTION,
        "level": Level.SECOND,
        "state": TicketState.ESCALATED,
        "escalated_at": timezone.now() - timedelta(days=1),
        "due_at": timezone.now() + timedelta(hours=5, microseconds=123456),
    }
    return Ticket.objects.create(**{**values, **fields})


def _expected_item(ticket, end_customer, subject):
    def moment(value):  # as ninja's renderer writes a datetime: milliseconds when there are any, Z for UTC
        if value is None:
            return None
        text = value.astimezone(UTC).isoformat(timespec="milliseconds" if value.microsecond else "seconds")
        return text.replace("+00:00", "Z")

    return {
        "id": ticket.pk,
        "partner_id": ticket.partner_id,
        "end_customer_id": ticket.end_customer_id,
        "end_customer": end_customer,
        "subject": subject,
        "category": ticket.category,
        "level": ticket.level,
        "state": ticket.state,
        "created_at": moment(ticket.created_at),
        "due_at": moment(ticket.due_at),
    }


@pytest.mark.django_db
def test_r9_1_r12_2_list_rows_are_the_answer_the_schema_describes(world, api_as):
    """The list writes its rows itself (no model, no validation per row): the same fields, types and formats
    as TicketListOut; the vendor reads the pseudonym and the subject masked, the partner the name (R1.3, R9.1)."""
    ticket = _ticket(world)
    revealed = EndCustomerFactory(partner=world.partner_a, name="Offene Praxis", name_revealed=True)
    ContactPersonFactory(end_customer=revealed, name="Uta Berg")
    other = _ticket(world, end_customer=revealed, subject="Uta Berg: Tel. 030 1234567", due_at=None)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=ticket.created_at.replace(microsecond=0))
    ticket.refresh_from_db()

    partner = api_as(Role.L1_AGENT).get("tickets")
    assert partner.status_code == 200 and partner["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(partner.content) == {
        "items": [
            _expected_item(other, "Offene Praxis", "Uta Berg: Tel. 030 1234567"),
            _expected_item(ticket, "Bäckerei Hansen KG", "Jens Hansen cannot print"),
        ],
        "count": 2,
    }
    vendor = api_as(Role.L2_AGENT).get("tickets?state=escalated&ordering=due")
    pseudonym = world.customer_a.pseudonym
    assert json.loads(vendor.content)["items"] == [
        _expected_item(ticket, pseudonym, "[name] cannot print"),
        _expected_item(other, "Offene Praxis", "[name]: Tel. [phone]"),
    ]
    for response in (partner, vendor):  # byte for byte what ninja writes through the declared schema
        assert response.content == _through_schema(response.content)


def _through_schema(content):
    from ninja.responses import NinjaJSONEncoder

    from partnerdesk.tickets.api import PagedTicketListOut

    validated = PagedTicketListOut.model_validate(json.loads(content)).model_dump()
    return json.dumps(validated, cls=NinjaJSONEncoder).encode()


@pytest.mark.django_db
def test_r12_2_list_keeps_its_paging_parameters_and_errors(world, api_as):
    for n in range(3):
        _ticket(world, subject=f"Ticket {n}")
    client = api_as(Role.L1_AGENT)
    page = json.loads(client.get("tickets?limit=2&offset=1").content)
    assert [i["subject"] for i in page["items"]] == ["Ticket 1", "Ticket 0"] and page["count"] == 3
    refused = client.get("tickets?limit=0")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "limit"


@pytest.mark.django_db
def test_r1_5_a_revoked_token_is_refused_at_the_very_next_request(world):
    """Authentication reads the token on every request, in every process: a revoke, also one written by
    another process straight into the table, an expiry, a disabled user or partner refuse the next request."""
    user = world.user(Role.L1_AGENT)
    token, raw = create_api_token(acting_user=user, name="speed")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/tickets").status_code == 200
    revoke_api_token(acting_user=user, token=token)
    assert client.get("/api/v1/tickets").status_code == 401

    checks = [
        lambda t: ApiToken.objects.filter(pk=t.pk).update(revoked_at=timezone.now()),  # as another process would
        lambda t: ApiToken.objects.filter(pk=t.pk).update(expires_at=timezone.now() - timedelta(seconds=1)),
        lambda t: type(user).objects.filter(pk=user.pk).update(is_active=False),
        lambda t: type(world.partner_a).objects.filter(pk=world.partner_a.pk).update(is_active=False),
    ]
    for refuse in checks:
        token, raw = create_api_token(acting_user=user, name="speed")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert client.get("/api/v1/tickets").status_code == 200
        refuse(token)
        assert client.get("/api/v1/tickets").status_code == 401
        type(user).objects.filter(pk=user.pk).update(is_active=True)
        type(world.partner_a).objects.filter(pk=world.partner_a.pk).update(is_active=True)


@pytest.mark.django_db
def test_r1_5_token_use_is_recorded_once_a_minute(world):
    user = world.user(Role.L1_AGENT)
    token, raw = create_api_token(acting_user=user, name="speed")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/v1/tickets")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/tickets")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/tickets")
    token.refresh_from_db()
    assert token.last_used_at > first


@pytest.mark.django_db(transaction=True)
def test_r5_1_a_constraint_the_database_checks_is_a_422_naming_its_field(world, api_as, monkeypatch):
    """Create runs no query to check the level constraint before the insert; when the database refuses the
    row, the answer is a 422 naming `level`, and nothing of the ticket is written (no transition, follower)."""
    apply = services._apply_capture

    def with_bad_level(ticket, changes):
        apply(ticket, changes)
        ticket.level = 7

    monkeypatch.setattr(services, "_apply_capture", with_bad_level)
    response = api_as(Role.L1_AGENT).post("tickets", {"end_customer_id": world.customer_a.pk, "subject": "Broken"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["level"]
    assert not Ticket.objects.exists() and not TicketTransition.objects.exists()
    assert not TicketFollower.objects.exists()


@pytest.mark.django_db
def test_r5_1_create_answers_the_row_it_wrote(world, api_as):
    client = api_as(Role.L1_AGENT)
    created = client.post("tickets", {"end_customer_id": world.customer_a.pk, "subject": "Printing hangs"})
    assert created.status_code == 201
    assert created.json() == client.get(f"tickets/{created.json()['id']}").json() | {
        "support_minutes_left": created.json()["support_minutes_left"]
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders are PostgreSQL's")
@pytest.mark.django_db
def test_r12_2_c_timestamp_loader_reads_what_djangos_loader_reads(world):
    from psycopg.pq import Format

    from partnerdesk.accounts import db_loaders

    ticket = _ticket(world)
    connection.ensure_connection()
    adapters = connection.connection.adapters
    loader = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    assert loader is db_loaders._LOADER, "the C loader is registered on PostgreSQL connections"
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at, due_at FROM tickets_ticket WHERE id = %s", [ticket.pk])
        fast = cursor.fetchone()
    assert fast == (ticket.created_at, ticket.due_at)
    assert fast[0].tzinfo is UTC and fast[0].microsecond == ticket.created_at.microsecond


@pytest.mark.django_db
def test_r12_2_overview_figures_are_bounded(world, monkeypatch):
    """The overview counts like the API's lists: exactly up to the bound, beyond it "1000+" (here 2+)."""
    monkeypatch.setattr(selectors, "FIGURE_BOUND", 2)
    for n in range(4):
        _ticket(world, subject=f"Queued {n}")
    figures = selectors.ticket_figures(world.user(Role.L2_AGENT))
    assert figures["queue"] == 3 and str(figures["queue"]) == "2+" and str(figures["waiting"]) == "0"
    page = Client()
    page.force_login(world.user(Role.L2_AGENT))
    assert "<strong>2+</strong>" in page.get("/").content.decode()


@pytest.mark.django_db
def test_r12_2_pages_count_to_a_bound_and_say_at_least(world, monkeypatch):
    """The queue page counts at most the page's offset + the bound; beyond it, "page 1 of at least n"."""
    from partnerdesk.web import paging

    monkeypatch.setattr(paging, "EXACT_COUNT_BEYOND_OFFSET", 30)
    for n in range(60):
        _ticket(world, subject=f"Queued {n}")
    page = Client()
    page.force_login(world.user(Role.L2_AGENT))
    page.post("/language/", {"language": "en"})
    text = page.get("/tickets/").content.decode()
    assert "page 1 of at least 2" in text
    assert "page 3 of 3" in page.get("/tickets/?page=3").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"ordering": "due"},
        {"ordering": "created_at", "states": ["escalated", "third_level"]},
        {"states": ["escalated"], "level": 2, "category": "malfunction"},
        {"end_customer_id": "customer_a", "ordering": "due"},
        {"category": "operation"},
    ],
)
@pytest.mark.parametrize("role", [Role.L1_AGENT, Role.L2_AGENT, Role.PARTNER_ADMIN])
def test_r1_1_r12_2_compiled_list_statements_answer_what_the_queryset_answers(world, role, filters):
    """The list's count and page run SQL compiled once per shape with the request's values in its slots: the
    same rows, count and order as the queryset itself, for each asker (a partner sees only its own, R1.1)."""
    for n in range(7):
        _ticket(world, subject=f"A {n}", level=2 + n % 2, state=("escalated", "third_level", "new")[n % 3])
    _ticket(world, partner=world.partner_b, end_customer=world.customer_b, subject="B's own")
    user = world.user(role)
    values = {k: (world.customer_a.pk if v == "customer_a" else v) for k, v in filters.items()}
    compiled = selectors.ticket_list_rows(user, **values)
    assert compiled.statements is not None, "this shape is compiled"
    orm = selectors.TicketListRows(user, selectors.ticket_list(user, **values))
    for bound in (3, 1001):
        assert compiled.count_up_to(bound) == orm.count_up_to(bound)
    for window in (slice(0, 50), slice(2, 5), slice(6, 50)):
        assert compiled[window] == orm[window]
    assert all(row["partner_id"] == world.partner_a.pk for row in compiled[0:50]) or user.is_vendor
