"""Row factories for the query-count tests of every list (ARCHITECTURE convention 8, R12.2).

A list is measured with a row or two, then again after ``grow`` added ten more rows of its kind (with
their related rows: contacts, messages, files, entries, actors); the number of queries must not change.
`tests/api/test_query_counts.py` and `tests/web/test_query_counts.py` discover the lists and fail on
one that has no factory here.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import SecurityLog, User
from partnerdesk.accounts.services import create_api_token
from partnerdesk.contact import services as contact_services
from partnerdesk.contact.choices import AppearAs, Channel
from partnerdesk.contact.gate import authorize_contact
from partnerdesk.contact.outbound import send_mail_to_end_customer
from partnerdesk.contracts import services as contract_services
from partnerdesk.contracts.models import Contract, ContractEvent
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.choices import MessageKind, TicketState
from partnerdesk.tickets.models import Attachment, Message, Ticket, TicketTransition
from partnerdesk.worklog import services as worklog_services
from tests.contact.conftest import install_vendor, white_label
from tests.contracts.conftest import ago, escalated_ticket, make_contract
from tests.factories import ContactPersonFactory, EndCustomerFactory, PartnerFactory, partner_user, vendor_user

_serial = itertools.count(1)


@dataclass
class ListsWorld:
    """Partner A with an L contract and an escalated ticket charged to it; the lists grow around them."""

    world: Any
    contract: Contract
    ticket: Ticket
    capture: Any  # pytest-django's django_capture_on_commit_callbacks
    extra: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str) -> User:
        return self.world.user(role)

    def ids(self) -> dict[str, int]:
        """The path ids a list is asked for."""
        return {
            "partner_id": self.world.partner_a.pk,
            "end_customer_id": self.world.customer_a.pk,
            "contract_id": self.contract.pk,
            "ticket_id": self.ticket.pk,
            "user_id": self.user(Role.L1_AGENT).pk,
            **self.extra.get("ids", {}),  # ids a case's setup made (e.g. a webhook endpoint)
        }


def lists_world(world: Any, capture: Any) -> ListsWorld:
    install_vendor()
    white_label(world.partner_a)
    contract = make_contract(world, "L", start=timezone.localdate() - timedelta(days=30))
    ticket = escalated_ticket(contract, world.customer_a, subject="Queried ticket")
    return ListsWorld(world, contract, ticket, capture)


def _n() -> int:
    return next(_serial)


def _new_vendor(role: str = Role.L2_AGENT) -> User:
    return vendor_user(role, email=f"staff{_n()}@vendor.example", full_name=f"Staff {_n()}")


def _new_partner_user(lw: ListsWorld) -> User:
    return partner_user(lw.world.partner_a, Role.L1_AGENT, email=f"l1-{_n()}@a.example", full_name=f"L1 {_n()}")


# --- the factories: grow(lists world, asker, n) ------------------------------------------------------


def grow_partners(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        partner = PartnerFactory()
        EndCustomerFactory(partner=partner)
        partner_user(partner, Role.PARTNER_ADMIN, email=f"admin{_n()}@p.example")


def grow_end_customers(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        customer = EndCustomerFactory(partner=lw.world.partner_a, name_revealed=bool(_n() % 2))
        ContactPersonFactory(end_customer=customer)
        ContactPersonFactory(end_customer=customer)


def grow_contacts(lw: ListsWorld, asker: User, n: int) -> None:
    """Contact persons of end customer A (the ticket's), each authorised for the vendor by e-mail."""
    persons = [ContactPersonFactory(end_customer=lw.world.customer_a) for _ in range(n)]
    contact_services.grant_authorization(
        acting_user=lw.user(Role.L1_AGENT),
        end_customer=lw.world.customer_a,
        ticket=lw.ticket,
        channels=[Channel.EMAIL, Channel.CALL],
        contact_persons=persons,
        valid_until=timezone.now() + timedelta(days=3),
        appear_as=AppearAs.PARTNER,
    )


def grow_users(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        _new_partner_user(lw)
        _new_vendor(Role.SALES)


def grow_tokens(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        create_api_token(acting_user=asker, name=f"token {_n()}")


def grow_security_log(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        user = _new_partner_user(lw)
        SecurityLog.objects.create(event=SecurityEvent.ACCESS_REFUSED, user=user, username=user.email, detail="x")


def grow_plans(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        contract_services.create_plan(
            acting_user=lw.user(Role.SALES),
            code=f"IND-{_n()}",
            name=f"Individual plan {_n()}",
            partner=lw.world.partner_a,
            values={
                "rate_scope": "ticket",
                "rate_tiers": [{"from_unit": 0, "unit_price": 30}, {"from_unit": 4, "unit_price": 25}],
            },
        )


def grow_contracts(lw: ListsWorld, asker: User, n: int) -> None:
    """Contracts for listed end customers, each with a booked term (so its use is shown)."""
    for _ in range(n):
        customer = EndCustomerFactory(partner=lw.world.partner_a)
        contract = make_contract(lw.world, "M", covers_all_end_customers=False, end_customers=[customer])
        ticket = escalated_ticket(contract, customer, subject=f"Contract ticket {_n()}")
        _book(lw, ticket, 20)


def grow_contract_events(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        ContractEvent.objects.create(
            contract=lw.contract, at=timezone.now(), actor=_new_vendor(Role.SALES), kind="renewed", reason="test"
        )


def _book(lw: ListsWorld, ticket: Ticket, minutes: int, agent: User | None = None) -> Any:
    return worklog_services.book_time_entry(
        acting_user=agent or _new_vendor(),
        ticket=ticket,
        started_at=ago(hours=3),
        minutes=minutes,
        activity="analysis",
        text=f"Work {_n()}",
    )


def grow_usage(lw: ListsWorld, asker: User, n: int) -> None:
    """Tickets of the contract with entries: each is a line (or two) of the next invoice."""
    for _ in range(n):
        ticket = escalated_ticket(lw.contract, lw.world.customer_a, subject=f"Usage {_n()}")
        _book(lw, ticket, 95)


def grow_contract_page(lw: ListsWorld, asker: User, n: int) -> None:
    """The contract page: its entries (on several tickets, by several agents), events, end customers."""
    grow_usage(lw, asker, n)
    grow_contract_events(lw, asker, n)
    for _ in range(n):
        lw.contract.end_customers.add(EndCustomerFactory(partner=lw.world.partner_a))


def grow_tickets(lw: ListsWorld, asker: User, n: int) -> None:
    """Escalated tickets of partner A (in the vendor's queue too), each for its own end customer."""
    for _ in range(n):
        customer = EndCustomerFactory(partner=lw.world.partner_a)
        ContactPersonFactory(end_customer=customer)
        ticket = escalated_ticket(lw.contract, customer, subject=f"Ticket {_n()}")
        Ticket.objects.filter(pk=ticket.pk).update(due_at=timezone.now() + timedelta(hours=_n() % 40 + 1))


def grow_transitions(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        TicketTransition.objects.create(
            ticket=lw.ticket,
            actor=_new_vendor(),
            from_state=TicketState.ESCALATED,
            to_state=TicketState.WAITING_FOR_PARTNER,
            from_level=2,
            to_level=2,
            note="Please send the logs",
        )


def grow_messages(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        author = _new_vendor()
        Message.objects.create(
            ticket=lw.ticket, kind=MessageKind.THREAD, author=author, author_name=str(author), body=f"Hello {_n()}"
        )
        partner_author = _new_partner_user(lw)
        Message.objects.create(
            ticket=lw.ticket,
            kind=MessageKind.END_CUSTOMER,
            author=partner_author,
            author_name="Jens Hansen",
            body="Call me: jens@hansen.example",
            shared_with_vendor=True,
        )


def grow_attachments(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        number = _n()
        attachment = Attachment(
            ticket=lw.ticket,
            filename=f"log-{number}.txt",
            content_type="text/plain",
            size=3,
            uploaded_by=_new_partner_user(lw),
            kind=MessageKind.THREAD,
            shared_with_vendor=True,
        )
        attachment.file.save(f"log-{number}.txt", SimpleUploadedFile("x.txt", b"log"), save=True)


def grow_defects(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        ticket_services.link_defect(
            acting_user=lw.user(Role.L3_ENGINEER), ticket=lw.ticket, key=f"GRP-{_n()}", title="Crash"
        )


def grow_time_entries(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        _book(lw, lw.ticket, 20)


def grow_time_entry_events(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        entry = _book(lw, lw.ticket, 20)
        worklog_services.correct_time_entry(acting_user=_new_vendor(), entry=entry, minutes=35)
        worklog_services.set_entry_billable(acting_user=_new_vendor(), entry=entry, billable=False)


def _appointment(lw: ListsWorld, kind: str, **values: Any) -> Any:
    from partnerdesk.channels.models import Appointment

    return Appointment.objects.create(ticket=lw.ticket, kind=kind, requested_by=lw.user(Role.L1_AGENT), **values)


def _agent_time(hours: int) -> dict[str, Any]:
    start = timezone.now() + timedelta(days=30, hours=hours)
    return {"agent": _new_vendor(), "starts_at": start, "ends_at": start + timedelta(minutes=30)}


def grow_callbacks(lw: ListsWorld, asker: User, n: int) -> None:
    """Callbacks requested and scheduled, each with another agent (R7.2)."""
    for i in range(n):
        _appointment(lw, "callback", state="scheduled", topic=f"Call {_n()}", phone="+49 30 1", **_agent_time(i))


def grow_meetings(lw: ListsWorld, asker: User, n: int) -> None:
    """Web meetings with a partner participant and an end-customer participant each (R7.3)."""
    from partnerdesk.channels.models import MeetingParticipant

    person = ContactPersonFactory(end_customer=lw.ticket.end_customer)
    for i in range(n):
        meeting = _appointment(lw, "web_meeting", state="scheduled", join_url="https://m.example/x", **_agent_time(i))
        MeetingParticipant.objects.create(appointment=meeting, user=_new_partner_user(lw))
        MeetingParticipant.objects.create(appointment=meeting, contact_person=person)


def grow_remote_sessions(lw: ListsWorld, asker: User, n: int) -> None:
    """Remote sessions held, each booked as a time entry (R7.4)."""
    for i in range(n):
        entry = _book(lw, lw.ticket, 20)
        _appointment(
            lw, "remote_session", state="held", tool="ssh", session_id=f"s{_n()}", time_entry=entry, **_agent_time(-i)
        )


def grow_slots(lw: ListsWorld, asker: User, n: int) -> None:
    """More agents, each with booked time: the free slots (always `count` of them) are still found in a fixed
    number of queries."""
    grow_callbacks(lw, asker, n)


def grow_day_plan(lw: ListsWorld, asker: User, n: int) -> None:
    """Today's appointments of more agents, and callbacks waiting for a time."""
    now = timezone.now()
    for _ in range(n):
        _appointment(
            lw, "web_meeting", state="scheduled", agent=_new_vendor(), starts_at=now, ends_at=now + timedelta(minutes=1)
        )
        _appointment(lw, "callback", state="requested", topic="Wait", phone="1", wished_from=now, wished_until=now)


def grow_ticket_page(lw: ListsWorld, asker: User, n: int) -> None:
    """The ticket page: thread, files, history, defects and time entries all grow."""
    for grow in (grow_messages, grow_attachments, grow_transitions, grow_defects, grow_time_entries, grow_callbacks):
        grow(lw, asker, n)


def first_level_ticket(lw: ListsWorld) -> None:
    """The page of a ticket still at first level: the partner chooses contract, messages and files to share."""
    lw.ticket = Ticket.objects.create(
        partner=lw.world.partner_a,
        end_customer=lw.world.customer_a,
        subject="Not escalated yet",
        state=TicketState.IN_PROGRESS,
    )


def grow_first_level_page(lw: ListsWorld, asker: User, n: int) -> None:
    """Covering contracts to choose from, correspondence and files that could be shared, the thread."""
    for _ in range(n):
        make_contract(lw.world, "M")
        author = _new_partner_user(lw)
        Message.objects.create(
            ticket=lw.ticket, kind=MessageKind.END_CUSTOMER, author=author, author_name=str(author), body="Hi"
        )
        number = _n()
        attachment = Attachment(
            ticket=lw.ticket,
            filename=f"shot-{number}.png",
            content_type="image/png",
            size=3,
            uploaded_by=author,
            kind=MessageKind.END_CUSTOMER,
        )
        attachment.file.save(f"shot-{number}.png", SimpleUploadedFile("x.png", b"png"), save=True)
        grow_transitions(lw, asker, 1)


def grow_authorizations(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        persons = [ContactPersonFactory(end_customer=lw.world.customer_a) for _ in range(2)]
        contact_services.grant_authorization(
            acting_user=_new_partner_user(lw),
            end_customer=lw.world.customer_a,
            ticket=lw.ticket if _n() % 2 else None,
            channels=[Channel.EMAIL],
            contact_persons=persons,
            valid_until=timezone.now() + timedelta(days=3),
            appear_as=AppearAs.PARTNER,
        )


def grow_mails(lw: ListsWorld, asker: User, n: int) -> None:
    person = lw.extra.get("mail_person")
    if person is None:
        person = lw.extra["mail_person"] = lw.world.contact_a
        grow_contacts_for(lw, [person])
    agent = lw.user(Role.L2_AGENT)
    for _ in range(n):
        permit = authorize_contact(acting_user=agent, ticket=lw.ticket, contact_person=person, channel=Channel.EMAIL)
        with lw.capture(execute=False):
            send_mail_to_end_customer(permit=permit, subject=f"Hello Jens Hansen {_n()}", body="Regards")


def grow_contacts_for(lw: ListsWorld, persons: list[Any]) -> None:
    contact_services.grant_authorization(
        acting_user=lw.user(Role.L1_AGENT),
        end_customer=lw.world.customer_a,
        ticket=lw.ticket,
        channels=[Channel.EMAIL],
        contact_persons=persons,
        valid_until=timezone.now() + timedelta(days=3),
        appear_as=AppearAs.PARTNER,
    )


def grow_audit_log(lw: ListsWorld, asker: User, n: int) -> None:
    """Grants and revocations (with their persons and tickets) are audit rows."""
    for _ in range(n):
        customer = EndCustomerFactory(partner=lw.world.partner_a)
        person = ContactPersonFactory(end_customer=customer)
        ticket = escalated_ticket(lw.contract, customer, subject=f"Audited {_n()}")
        authorization = contact_services.grant_authorization(
            acting_user=_new_partner_user(lw),
            end_customer=customer,
            ticket=ticket,
            channels=[Channel.EMAIL],
            contact_persons=[person],
            valid_until=timezone.now() + timedelta(days=3),
            appear_as=AppearAs.VENDOR,
        )
        contact_services.revoke_authorization(acting_user=lw.user(Role.PARTNER_ADMIN), authorization=authorization)


def grow_outbox(lw: ListsWorld, asker: User, n: int) -> None:
    """Outbox rows of every state, some confidential (end-customer mail), some with errors."""
    from django.core.mail import EmailMessage
    from django.db import transaction

    from partnerdesk.outbox.models import OutboxMessage
    from partnerdesk.outbox.services import enqueue

    states = ["queued", "sent", "retrying", "failed"]
    for i in range(n):
        with transaction.atomic():
            row = enqueue(
                kind="quota_notice",
                message=EmailMessage(f"Notice {_n()}", "text", to=[f"a{_n()}@a.example"]),
                confidential=i % 2 == 0,
            )
        OutboxMessage.objects.filter(pk=row.pk).update(
            state=states[i % 4], last_error="SMTPServerDisconnected: gone" if i % 4 >= 2 else ""
        )


def _register_webhook(lw: ListsWorld) -> Any:
    from django.test import override_settings

    from partnerdesk.webhooks import services as webhook_services

    with override_settings(PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE=True, PARTNERDESK_WEBHOOKS_MAX_ENDPOINTS=1000):
        endpoint, _secret = webhook_services.register_endpoint(
            acting_user=lw.user(Role.PARTNER_ADMIN),
            url=f"http://127.0.0.1:9/hooks/{_n()}",
            events=["ticket.state_changed", "contract.quota_threshold"],
        )
    return endpoint


def webhook_endpoint(lw: ListsWorld) -> None:
    """Setup: partner A's endpoint, whose deliveries are listed."""
    lw.extra.setdefault("ids", {})["webhook_id"] = _register_webhook(lw).pk


def grow_webhooks(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        _register_webhook(lw)


def grow_webhook_deliveries(lw: ListsWorld, asker: User, n: int) -> None:
    """Events of partner A (a delivery each on every endpoint), each tried twice: refused, then delivered."""
    from django.db import transaction

    from partnerdesk.outbox import events
    from partnerdesk.webhooks.models import Attempt, Delivery

    for _ in range(n):
        with transaction.atomic():
            events.publish(
                events.CONTRACT_QUOTA_THRESHOLD,
                partner_id=lw.world.partner_a.pk,
                data={"contract": lw.contract.pk, "term": 0, "threshold": 75, "number": _n()},
            )
    now = timezone.now()
    for delivery in Delivery.objects.filter(attempts=0):
        Attempt.objects.create(
            delivery=delivery, number=1, started_at=now, duration_ms=40, status_code=500, response_excerpt="busy"
        )
        Attempt.objects.create(delivery=delivery, number=2, started_at=now, duration_ms=12, status_code=200)
        Delivery.objects.filter(pk=delivery.pk).update(attempts=2, state="delivered", delivered_at=now)


def grow_contact_page(lw: ListsWorld, asker: User, n: int) -> None:
    grow_contacts(lw, asker, n)
    grow_mails(lw, asker, n)


def grow_form_choices(lw: ListsWorld, asker: User, n: int) -> None:
    """Forms that offer rows to choose from: partners, plans, end customers, contact persons, tickets."""
    grow_partners(lw, asker, n)
    grow_plans(lw, asker, n)
    grow_end_customers(lw, asker, n)
    for _ in range(n):
        ContactPersonFactory(end_customer=lw.world.customer_a)
        escalated_ticket(lw.contract, lw.world.customer_a, subject=f"Choice {_n()}")


# --- measuring -------------------------------------------------------------------------------------


Grow = Callable[[ListsWorld, User, int], None]


@dataclass(frozen=True)
class ListCase:
    """How to grow one list, and as whom to read it (the roles for whom it grows)."""

    grow: Grow
    roles: tuple[str, ...] = (Role.PARTNER_ADMIN, Role.L2_AGENT)
    setup: Callable[[ListsWorld], None] | None = None  # e.g. ask about another ticket
    name: str = ""
    # A list of a fixed length (the next `count` slots): the rows grow around it, the answer does not.
    fixed_length: bool = False


def api_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(acting_user=user, name='counts')[1]}")


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def measure(client: Client, url: str) -> tuple[int, int, list[str]]:
    """(queries, response size, the SQL) of a GET, after one warm-up call (token use, caches)."""
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    return len(captured.captured_queries), len(body), [q["sql"] for q in captured.captured_queries]


def _shape(sql: str) -> str:
    """A query without its values, so that the same query for another row counts as the same."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def assert_does_not_grow(
    lw: ListsWorld, case: ListCase, role: str, url: str, client_for: Callable[[User], Client]
) -> None:
    asker = lw.user(role)
    case.grow(lw, asker, 1)
    client = client_for(asker)
    few, few_size, few_sql = measure(client, url)
    case.grow(lw, asker, 10)
    many, many_size, many_sql = measure(client, url)
    if not case.fixed_length:
        assert many_size > few_size, f"{url} as {role}: the factory added nothing this list shows"
    grown = Counter(map(_shape, many_sql)) - Counter(map(_shape, few_sql))
    report = "\n".join(f"{count} more x {shape[:300]}" for shape, count in grown.most_common(3))
    assert many == few, f"{url} as {role}: {few} queries with few rows, {many} with more:\n{report}"


def grow_inbox(lw: ListsWorld, asker: User, n: int) -> None:
    """Quarantined mail in the asker's inbox: unknown senders (vendor's), or on the ticket's address (partner's)."""
    from partnerdesk.channels.addresses import reply_address
    from partnerdesk.channels.inbound import receive
    from tests.channels.conftest import build_mail

    for _i in range(n):
        to = reply_address(lw.ticket.pk) if asker.is_partner else "support@groupios.example"
        receive(build_mail(sender=f"stranger{_n()}@nowhere.example", to=to, subject=f"Mail {_n()}"))


# --- invoicing ---------------------------------------------------------------------------------------


def _invoice(lw: ListsWorld, lines: int = 1, run: Any = None) -> Any:
    from partnerdesk.billing.models import Invoice, InvoiceCounter, InvoiceLine
    from partnerdesk.billing.services import format_number

    sequence = _n()
    InvoiceCounter.objects.update_or_create(series="QC", defaults={"last_number": sequence})  # as if issued
    invoice = Invoice.objects.create(
        series="QC",
        sequence=sequence,
        number=format_number("QC", sequence),
        partner=lw.world.partner_a,
        run=run,
        period="2026-01",
        period_start="2026-01-01",
        period_end="2026-01-31",
        issued_on="2026-02-01",
        due_on="2026-02-15",
        issued_at=timezone.now(),
        seller={"name": "Vendor"},
        buyer={"name": "Partner A"},
        net_cents=100 * lines,
        vat_cents=19 * lines,
        gross_cents=119 * lines,
        vat_breakdown=[{"category": "S", "rate": "19.00", "basis_cents": 100 * lines, "vat_cents": 19 * lines}],
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            kind="extra",
            description=f"Ticket #{lw.ticket.pk}",
            quantity=1,
            unit_price_cents=100,
            net_cents=100,
            vat_category="S",
            vat_rate="19.00",
            service_start="2026-01-02",
            ticket=lw.ticket,
        )
        for position in range(1, lines + 1)
    )
    return invoice


def grow_invoices(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        _invoice(lw, lines=2)


def one_invoice(lw: ListsWorld) -> None:
    """Setup: an invoice of partner A whose lines grow."""
    invoice = _invoice(lw, lines=1)
    lw.extra.setdefault("ids", {})["invoice_id"] = invoice.pk
    lw.extra["invoice"] = invoice


def grow_invoice_lines(lw: ListsWorld, asker: User, n: int) -> None:
    from partnerdesk.billing.models import InvoiceLine

    invoice = lw.extra["invoice"]
    start = invoice.lines.count() + 1
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            kind="fee",
            description=f"Fee {position}",
            quantity=1,
            unit_price_cents=100,
            net_cents=100,
            vat_category="S",
            vat_rate="19.00",
            service_start="2026-01-01",
        )
        for position in range(start, start + n)
    )


def grow_billing_runs(lw: ListsWorld, asker: User, n: int) -> None:
    from partnerdesk.billing.models import BillingRun

    for _ in range(n):
        BillingRun.objects.create(period="2026-01", period_start="2026-01-01", period_end="2026-01-31")


def one_billing_run(lw: ListsWorld) -> None:
    """Setup: a billing run whose invoices grow."""
    from partnerdesk.billing.models import BillingRun

    run = BillingRun.objects.create(period="2026-01", period_start="2026-01-01", period_end="2026-01-31")
    lw.extra.setdefault("ids", {})["run_id"] = run.pk
    lw.extra["run"] = run


def grow_run_invoices(lw: ListsWorld, asker: User, n: int) -> None:
    for _ in range(n):
        _invoice(lw, run=lw.extra["run"])


# --- the manual --------------------------------------------------------------------------------------


def grow_manual_sections(lw: ListsWorld, asker: User, n: int) -> None:
    from tests.factories import manual_section

    for _ in range(n):
        number = _n()
        manual_section(f"50.{number}", f"Section {number}", f"Text of section {number}.")


def grow_solved_with_manual(lw: ListsWorld, asker: User, n: int) -> None:
    """Tickets of partner A solved at first level with a section of their own (the figure's rows)."""
    from tests.factories import manual_section

    l1 = lw.user(Role.L1_AGENT)
    for _ in range(n):
        number = _n()
        section = manual_section(f"60.{number}", f"Section {number}", f"Text of section {number}.")
        ticket = ticket_services.create_ticket(
            acting_user=l1, end_customer=lw.world.customer_a, subject=f"Solved {number}"
        )
        ticket_services.resolve(acting_user=l1, ticket=ticket, solved_with_manual=True, manual_section_ids=[section.pk])


# --- reports (partnerdesk.reports) ------------------------------------------------------------------


def grow_report_rows(lw: ListsWorld, asker: User, n: int) -> None:
    """Per row: a new M contract of partner A with an escalated ticket past its due times (a breach, a
    ticket at the vendor) and 300 minutes booked on it (16 included + 4 extra units: near and over)."""
    past = timezone.now() - timedelta(days=2)
    for _ in range(n):
        contract = make_contract(lw.world, "M", start=timezone.localdate() - timedelta(days=30))
        ticket = escalated_ticket(contract, lw.world.customer_a, subject=f"Report row {_n()}")
        Ticket.objects.filter(pk=ticket.pk).update(
            escalated_at=past, first_response_due_at=past, resolution_due_at=past, due_at=past
        )
        _book(lw, ticket, 300)


def report_named(name: str) -> Callable[[ListsWorld], None]:
    """Setup: the report in the path."""

    def setup(lw: ListsWorld) -> None:
        lw.extra.setdefault("ids", {})["name"] = name  # type: ignore[assignment]

    return setup
