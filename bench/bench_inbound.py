"""Benchmark of inbound mail (R7.1): parse, match and store 10,000 messages, beside the standard library's parse.

Run:  .venv/bin/python bench/bench_inbound.py  [--messages N] [--keep]

Database: ``DATABASE_URL`` when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/pd_bench_inbound
(created when missing, migrated; its name must contain "bench", and its inbound mail, tickets and users of the
benchmark's own domain are removed before the run, so every run starts the same). Attachments go to a temporary
media folder.

Data: 40 partners with one first-level agent and 5 end customers each, 400 escalated tickets, three
second-level agents of the vendor (so every partner message also writes its notifications to the outbox). The messages
(seeded): a quarter carry a PDF attachment (30 KB), a quarter are German Outlook replies quoting the history,
the rest plain; by route, 70 % to a ticket's reply address from its partner's agent, 10 % with only a
`[#id]` subject tag, 10 % from an agent without a ticket (a new first-level ticket), 10 % from unknown senders
(quarantine). Each message is one `inbound.receive()` call, its own transaction, as `mail deliver` and
`mail fetch` do.

After the timed part, the worker's later step (the deferred notifications of the stored messages: three
vendor agents are told of each partner message) is run and timed on its own, not in the figure.

Floor: the same bytes through the standard library only (`email.message_from_bytes` with the default policy,
the text body and each attachment's content), in the same run. Prints messages per second for both, the ratio,
and PASS/FAIL against the targets (at least 200 messages per second on PostgreSQL, within 5x of the floor).
Not a test: the exit code is 0 whatever the figures are, 2 on errors.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pd_bench_inbound"
DOMAIN = "bench-inbound.invalid"
TARGET_RATE = 200.0
TARGET_RATIO = 5.0
PARTNERS = 40
CUSTOMERS = 5
TICKETS = 400
VENDOR_AGENTS = 3
PDF = b"%PDF-1.4\n" + b"0" * 30_000 + b"\n%%EOF\n"
QUOTE = (
    """

Mit freundlichen Grüßen
Petra Schmidt

Von: Support <support@groupios.example>
Gesendet: Montag, 30. November 2026 10:15
An: Petra Schmidt <agent@example>
Betreff: AW: Synchronisation bricht ab

Bitte senden Sie uns das Protokoll der letzten Synchronisation.
"""
    + "> Zeile der früheren Nachricht.\n" * 40
)


class BenchError(Exception):
    pass


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if urlsplit(url).scheme in {"postgres", "postgresql"} else DEFAULT_URL


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise BenchError(f"refusing database {name!r}: its name must contain 'bench'")
    try:
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=5) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        raise BenchError(f"PostgreSQL is not reachable: {error}") from error


def setup_django(url: str, media: str) -> None:
    os.environ.update(DATABASE_URL=url, DEBUG="false", PARTNERDESK_MEDIA_ROOT=media)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_world() -> tuple[list[object], list[object]]:
    """Fresh partners, agents and escalated tickets of the benchmark's domain; returns (agents, tickets)."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from partnerdesk.accounts.choices import OrganisationKind, Role
    from partnerdesk.accounts.models import EndCustomer, Partner, User
    from partnerdesk.channels.models import InboundMail
    from partnerdesk.tickets.choices import Category, Level, TicketState
    from partnerdesk.tickets.models import Attachment, Message, Ticket, TicketTransition

    with transaction.atomic():
        InboundMail.objects.all().delete()
        partners = Partner.objects.filter(name__startswith="Bench inbound ")
        tickets = Ticket.objects.filter(partner__in=partners)
        Attachment.objects.filter(ticket__in=tickets).delete()
        Message.objects.filter(ticket__in=tickets).delete()
        TicketTransition.objects.filter(ticket__in=tickets).delete()
        tickets.delete()
        EndCustomer.objects.filter(partner__in=partners).delete()
        User.objects.filter(email__endswith=f"@{DOMAIN}").delete()
        partners.delete()
        agents, made = [], []
        for n in range(VENDOR_AGENTS):  # the vendor's queue, told of each partner message (R7.1)
            User.objects.create_user(
                email=f"l2-{n}@{DOMAIN}",
                password=None,
                role=Role.L2_AGENT,
                organisation=OrganisationKind.VENDOR,
                full_name=f"Second level {n}",
                language="de" if n % 2 else "en",
            )
        for p in range(PARTNERS):
            partner = Partner.objects.create(
                number=900_000 + p, name=f"Bench inbound {p}", email=f"partner{p}@{DOMAIN}"
            )
            customers = [
                EndCustomer.objects.create(partner=partner, number=c + 1, name=f"C{p}-{c}") for c in range(CUSTOMERS)
            ]
            agent = User.objects.create_user(
                email=f"agent{p}@{DOMAIN}",
                password=None,
                role=Role.L1_AGENT,
                organisation=OrganisationKind.PARTNER,
                partner=partner,
                full_name=f"Agent {p}",
            )
            agents.append(agent)
            for t in range(TICKETS // PARTNERS):
                made.append(
                    Ticket.objects.create(
                        partner=partner,
                        end_customer=customers[t % CUSTOMERS],
                        subject=f"Ticket {p}-{t}",
                        category=Category.MALFUNCTION,
                        level=Level.SECOND,
                        state=TicketState.ESCALATED,
                        escalated_at=timezone.now() - timedelta(days=1),
                        created_by=agent,
                    )
                )
    return agents, made


def make_messages(n: int, agents: list[object], tickets: list[object], seed: int = 7) -> list[bytes]:
    from partnerdesk.channels.addresses import reply_address

    rng = random.Random(seed)
    by_partner: dict[int, list[object]] = {}
    for ticket in tickets:
        by_partner.setdefault(ticket.partner_id, []).append(ticket)  # type: ignore[attr-defined]
    messages = []
    for i in range(n):
        agent = agents[rng.randrange(len(agents))]
        ticket = rng.choice(by_partner[agent.partner_id])  # type: ignore[attr-defined]
        route = rng.random()
        message = EmailMessage()
        message["Message-ID"] = f"<bench-{seed}-{i}@client.example>"
        message["Date"] = format_datetime(ticket.created_at)  # type: ignore[attr-defined]
        message["Subject"] = f"Frage {i}"
        message["To"] = f"support@{DOMAIN}"
        message["From"] = f"Agent <{agent.email}>"  # type: ignore[attr-defined]
        if route < 0.7:
            message.replace_header("To", reply_address(ticket.pk))  # type: ignore[attr-defined]
        elif route < 0.8:
            message.replace_header("Subject", f"AW: [#{ticket.pk}] Frage {i}")  # type: ignore[attr-defined]
        elif route < 0.9:
            message.replace_header("Subject", f"[K {1 + i % CUSTOMERS}] Neue Frage {i}")
        else:
            message.replace_header("From", f"stranger{i}@elsewhere.example")
        kind = i % 4
        body = f"Nachricht {i}: der Fehler tritt weiterhin auf, Details folgen.\n"
        message.set_content(body + (QUOTE if kind == 1 else ""))
        if kind == 0:
            message.add_attachment(PDF, maintype="application", subtype="pdf", filename=f"log-{i}.pdf")
        messages.append(message.as_bytes())
    return messages


def stdlib_parse(raw: bytes) -> None:
    message = message_from_bytes(raw, policy=policy.default)
    body = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    if body is not None:
        body.get_content()
    for part in message.iter_attachments():  # type: ignore[attr-defined]
        part.get_content()


def timed(fn: object, items: list[bytes]) -> float:
    gc.collect()
    start = time.perf_counter()
    for raw in items:
        fn(raw)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the store run")
    args = parser.parse_args()
    url = database_url()
    try:
        ensure_database(url)
    except BenchError as error:
        print(f"error: {error}")
        return 2
    with tempfile.TemporaryDirectory(prefix="pd-bench-media-") as media:
        setup_django(url, media)
        from django.db import connection
        from django.db.models import Count

        from partnerdesk.channels.inbound import receive
        from partnerdesk.channels.models import InboundMail

        agents, tickets = make_world()
        messages = make_messages(args.messages, agents, tickets)
        print(f"{len(messages):,} messages, {sum(map(len, messages)) / 1e6:.1f} MB, on {connection.vendor}")
        floor = timed(stdlib_parse, messages)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        full = timed(lambda raw: receive(raw), messages)
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)
        # What the change deferred to the worker: the notifications of the messages (outbox.events).
        from partnerdesk.outbox.events import run_deferred

        start = time.perf_counter()
        deferred = run_deferred(limit=len(messages) * 4)
        worker_seconds = time.perf_counter() - start
        stored = InboundMail.objects.count()
        outcomes = dict(InboundMail.objects.values_list("outcome").annotate(n=Count("pk")).order_by())
        rate, floor_rate = len(messages) / full, len(messages) / floor
        ratio = full / floor
        print(f"stored {stored:,}: {outcomes}")
        print(f"standard-library parse only : {floor_rate:10,.0f} messages/s ({floor:.2f} s)")
        print(f"parse, match and store      : {rate:10,.0f} messages/s ({full:.2f} s)")
        print(f"ratio                       : {ratio:10.1f}x the floor's time")
        print(f"then the worker's notifications: {deferred:,} events in {worker_seconds:.2f} s (not in the figure)")
        verdict_rate = "PASS" if rate >= TARGET_RATE else "FAIL"
        verdict_ratio = "PASS" if ratio <= TARGET_RATIO else "FAIL"
        print(f"target >= {TARGET_RATE:.0f} messages/s: {verdict_rate}")
        print(f"target within {TARGET_RATIO:.0f}x of the floor: {verdict_ratio}")
        if stored != len(messages):
            print(f"error: {len(messages) - stored} messages were not stored")
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
