"""Every read of tickets that depends on who asks; the only place that filters tickets by tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import router
from django.db.models import F, Model, Prefetch, Q, QuerySet
from django.utils import timezone

from partnerdesk.accounts.masking import normalise, redact, redact_for_vendor
from partnerdesk.accounts.models import ContactPerson, EndCustomer, User
from partnerdesk.accounts.statements import Statement, StatementCache, compile_values, marker

from .choices import CAPTURE_TEXT_FIELDS, Level, MessageKind, TicketState
from .models import Attachment, Message, ProductDefect, Ticket, TicketFollower, TicketTransition


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Partner users see their own partner's tickets (R1.1); the vendor sees escalated ones only (R1.2)."""
    queryset = Ticket.objects.select_related("partner", "end_customer__partner")
    if not user.is_active:
        return queryset.none()
    if user.is_vendor:
        # Escalated now, or handed back after an escalation: never tickets still at first level.
        return queryset.filter(Q(level__gte=Level.SECOND) | Q(escalated_at__isnull=False))
    return queryset.filter(partner_id=user.partner_id)


# The vendor's queue: what is waiting for the vendor, at second or third level.
VENDOR_QUEUE_STATES = (TicketState.ESCALATED, TicketState.THIRD_LEVEL)
TICKET_ORDERINGS = ("due", "-created_at", "created_at")


def ticket_list(
    user: User,
    *,
    states: Iterable[str] | None = None,
    level: int | None = None,
    end_customer_id: int | None = None,
    category: str | None = None,
    due_before: datetime | None = None,
    q: str | None = None,
    ordering: str = "-created_at",
) -> QuerySet[Ticket]:
    """The tickets the user may see, filtered and ordered: one list for the API and the pages.

    ``due`` puts tickets without a running clock last (the index's own NULLS LAST order on PostgreSQL).
    """
    tickets = tickets_visible_to(user)
    if states:
        tickets = tickets.filter(state__in=list(states))
    if level is not None:
        tickets = tickets.filter(level=level)
    if end_customer_id is not None:
        tickets = tickets.filter(end_customer_id=end_customer_id)
    if category:
        tickets = tickets.filter(category=category)
    if due_before is not None:
        tickets = tickets.filter(due_at__lt=due_before)
    if q and q.strip():
        tickets = tickets.filter(subject__icontains=q.strip())
        if user.is_vendor:
            tickets = tickets.exclude(end_customer_id__in=_end_customers_named_by(q.strip(), tickets))
    if ordering == "due":
        return tickets.order_by(F("due_at").asc(nulls_last=True), "id")
    if ordering not in TICKET_ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}")
    return tickets.order_by(ordering, "-id" if ordering.startswith("-") else "id")


def _end_customers_named_by(query: str, candidates: QuerySet[Ticket]) -> list[int]:
    """The end customers among the candidates whose hidden data the query itself mentions (a contact
    person's name, address or phone, an unrevealed organisation name). The vendor's search never matches
    their tickets: otherwise a search for a name would tell which tickets mention it (R9.1)."""
    ids = candidates.order_by().values_list("end_customer_id", flat=True).distinct()
    named = []
    for customer in EndCustomer.objects.filter(pk__in=ids).prefetch_related("contacts"):
        for spelling in {query, query.title()}:
            if redact_for_vendor(spelling, end_customer=customer) != normalise(spelling):
                named.append(customer.pk)
                break
    return named


def messages_visible_to(user: User, ticket: Ticket) -> QuerySet[Message]:
    """Partner: everything but the vendor's internal notes. Vendor: the thread, its own notes, and the
    first-level correspondence the partner shared at escalation; never partner-internal notes (R5.5, R5.9)."""
    queryset = Message.objects.filter(ticket=ticket, ticket__in=tickets_visible_to(user))
    if user.is_vendor:
        return queryset.filter(
            Q(kind__in=[MessageKind.THREAD, MessageKind.VENDOR_NOTE])
            | Q(kind=MessageKind.END_CUSTOMER, shared_with_vendor=True)
        )
    return queryset.exclude(kind=MessageKind.VENDOR_NOTE)


def attachments_visible_to(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    queryset = Attachment.objects.filter(ticket=ticket, ticket__in=tickets_visible_to(user))
    if user.is_vendor:
        return queryset.filter(shared_with_vendor=True).exclude(kind=MessageKind.PARTNER_NOTE)
    return queryset.exclude(kind=MessageKind.VENDOR_NOTE)


def defects_visible_to(user: User) -> QuerySet[ProductDefect]:
    """The vendor sees every defect; a partner those linked to its own tickets (R5.10)."""
    if not user.is_active:
        return ProductDefect.objects.none()
    if user.is_vendor:
        return ProductDefect.objects.all()
    return ProductDefect.objects.filter(tickets__partner_id=user.partner_id).distinct()


def transitions_visible_to(user: User, ticket: Ticket) -> QuerySet[TicketTransition]:
    return TicketTransition.objects.filter(ticket=ticket, ticket__in=tickets_visible_to(user)).select_related("actor")


def is_following(user: User, ticket: Ticket) -> bool:
    """Whether the user follows the ticket (its own follow state; the ticket came from `tickets_visible_to`)."""
    return TicketFollower.objects.filter(ticket=ticket, user=user).exists()


def followers_of(ticket: Ticket) -> QuerySet[User]:
    """The active users following the ticket who may still see it: its partner's users (of an active partner)
    and, once the ticket was escalated, vendor users. For the notifications, which ask on nobody's behalf."""
    followers = User.objects.filter(followed_tickets__ticket=ticket, is_active=True)
    partner_side = Q(partner_id=ticket.partner_id, partner__is_active=True)
    if ticket.level >= Level.SECOND or ticket.escalated_at is not None:
        return followers.filter(partner_side | Q(partner__isnull=True)).order_by("pk")
    return followers.filter(partner_side).order_by("pk")


# The overview's figures are counted like the API's lists: exactly up to this many, beyond that "1000+".
FIGURE_BOUND = 1_000


class Figure(int):
    """A bounded count: the number itself up to FIGURE_BOUND, shown as "1000+" above it."""

    def __str__(self) -> str:
        return f"{FIGURE_BOUND}+" if self > FIGURE_BOUND else int.__str__(self)


def _figure(tickets: QuerySet[Ticket], *order: Any) -> Figure:
    # COUNT(*) over at most FIGURE_BOUND + 1 rows, in the order of the index that serves the filter
    # (ticket_vendor_queue, ticket_state_created, ticket_partner_state_due): PostgreSQL walks the index and
    # stops at the bound, never reading every matching ticket (bench/bench_pages.py).
    return Figure(tickets.order_by(*order)[: FIGURE_BOUND + 1].count())


def ticket_figures(user: User) -> dict[str, int]:
    """The overview's numbers: what waits for this user's side, each a bounded count (one query each)."""
    tickets = tickets_visible_to(user).select_related(None)
    queue_states = [TicketState.ESCALATED, TicketState.THIRD_LEVEL]
    if user.is_vendor:
        queue = tickets.filter(state__in=queue_states)
        by_due = (F("due_at").asc(nulls_last=True), "id")
        return {
            "queue": _figure(queue, *by_due),
            "overdue": _figure(queue.filter(due_at__lt=timezone.now()), *by_due),
            "waiting": _figure(tickets.filter(state=TicketState.WAITING_FOR_PARTNER), "-created_at", "-id"),
        }
    newest = ("-created_at", "-id")
    return {
        "open": _figure(tickets.exclude(state__in=[TicketState.RESOLVED, TicketState.CLOSED]), *newest),
        "waiting": _figure(tickets.filter(state=TicketState.WAITING_FOR_PARTNER), *newest),
        "escalated": _figure(tickets.filter(state__in=queue_states), *newest),
    }


# --- what the vendor reads: one rendering path (R9.1) ----------------------------------------------
#
# Every text the partner side can write about an end customer's ticket reaches a vendor asker only through
# `shown`: the API schemas and the page templates get `Shown` views whose text fields are already masked.
# A new text field is added to SHOWN_TEXT_FIELDS once, and every route and page masks it.

SHOWN_TEXT_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Ticket: ("subject", *CAPTURE_TEXT_FIELDS),
    Message: ("author_name", "body"),
    Attachment: ("filename",),
    TicketTransition: ("reason", "note"),
}

R = TypeVar("R", bound=Model)


class Shown(Generic[R]):
    """A read-only view of one row as a vendor asker may read it: the row's partner-written texts masked.

    Everything else is the row's own attribute; it cannot be saved or deleted (the masked texts must
    never be written back)."""

    __slots__ = ("_row", "_texts")

    def __init__(self, row: R, texts: dict[str, str]) -> None:
        object.__setattr__(self, "_row", row)
        object.__setattr__(self, "_texts", texts)

    def __getattr__(self, name: str) -> Any:
        texts = object.__getattribute__(self, "_texts")
        if name in texts:
            return texts[name]
        if name in ("save", "delete", "refresh_from_db", "save_base"):
            raise AttributeError("A row shown to the vendor is read-only.")
        return getattr(object.__getattribute__(self, "_row"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("A row shown to the vendor is read-only.")

    def __eq__(self, other: object) -> bool:
        return object.__getattribute__(self, "_row") == (other._row if isinstance(other, Shown) else other)

    def __hash__(self) -> int:
        return hash(object.__getattribute__(self, "_row"))

    def __str__(self) -> str:
        return str(object.__getattribute__(self, "_row"))


def masker_for(user: User, end_customer: EndCustomer) -> Callable[[str], str]:
    """The function that turns a partner-side text into what `user` may read: identity for the partner, the
    end customer's contacts masked for the vendor (loaded once; prefetched `contacts` are used)."""
    if not user.is_vendor:
        return lambda text: text
    persons = list(end_customer.contacts.all())
    return lambda text: redact(text, persons=persons, end_customer=end_customer) if text else text


def shown(user: User, rows: Sequence[R], *, ticket: Ticket | None = None) -> list[Any]:
    """The rows as `user` may read them: the rows themselves for the partner; `Shown` views for the vendor.
    Rows of one ticket pass `ticket` (its end customer's contacts are loaded once); tickets name their own."""
    if not user.is_vendor:
        return list(rows)
    maskers: dict[int, Callable[[str], str]] = {}
    result: list[Any] = []
    for row in rows:
        owner = ticket if ticket is not None else row
        if not isinstance(owner, Ticket):
            raise TypeError("Rows other than tickets are shown with their ticket.")
        mask = maskers.get(owner.end_customer_id)
        if mask is None:
            mask = maskers[owner.end_customer_id] = masker_for(user, owner.end_customer)
        fields = SHOWN_TEXT_FIELDS[type(row)]
        result.append(Shown(row, {f: mask(str(getattr(row, f) or "")) for f in fields}))
    return result


def shown_one(user: User, row: R, *, ticket: Ticket | None = None) -> Any:
    return shown(user, [row], ticket=ticket)[0]


class ShownRows:
    """A queryset handed out only as `shown` rows, a page at a time (the API's pagination and the pages'
    Paginator slice it; counting stays in the database)."""

    def __init__(self, user: User, queryset: QuerySet[Any], *, ticket: Ticket | None = None) -> None:
        self.user, self.queryset, self.ticket = user, queryset, ticket

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return shown(self.user, list(self.queryset[index]), ticket=self.ticket)
        return shown_one(self.user, self.queryset[index], ticket=self.ticket)

    def __len__(self) -> int:
        return self.queryset.count()

    def count(self) -> int:
        return self.queryset.count()

    def count_up_to(self, bound: int) -> int:
        return self.queryset[:bound].count()

    def __iter__(self) -> Iterator[Any]:
        return iter(shown(self.user, list(self.queryset), ticket=self.ticket))


def _with_contacts(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return queryset.select_related("end_customer").prefetch_related(
        Prefetch("end_customer__contacts", queryset=ContactPerson.objects.order_by("pk"))
    )


def tickets_shown_to(user: User, tickets: QuerySet[Ticket]) -> ShownRows:
    """A list of tickets (from `tickets_visible_to`) as `user` may read them; contacts loaded per page."""
    return ShownRows(user, _with_contacts(tickets) if user.is_vendor else tickets)


# The columns a ticket list answers with (the API's TicketListOut): no model instance is built for a list row,
# and none of the ticket's other columns (texts, eleven more timestamps) is read or parsed.
LIST_FIELDS = ("id", "partner_id", "end_customer_id", "subject", "category", "level", "state", "created_at", "due_at")
_LIST_COLUMNS = (
    *LIST_FIELDS,
    "end_customer__name",
    "end_customer__name_revealed",
    "end_customer__number",
    "end_customer__partner__number",
)


class _Customer:
    """What masking and the shown name need of an end customer (R1.3): name, revealed or not, pseudonym."""

    __slots__ = ("name", "name_revealed", "pseudonym")

    def __init__(self, name: str, name_revealed: bool, number: int, partner_number: int) -> None:
        self.name, self.name_revealed = name, name_revealed
        self.pseudonym = f"P{partner_number:02d}-C{number:04d}"  # as EndCustomer.pseudonym


class TicketListRows:
    """A ticket list (from `ticket_list`) as plain rows of LIST_FIELDS plus `end_customer`, the name the asker
    may read; for the vendor the subject is masked with the page's contacts, loaded in one query (R9.1).
    Sliced a page at a time by the API's pagination; counts stay in the database, bounded.

    With `statements` (see `ticket_list_rows`), count and page run SQL compiled once per process for the
    list's shape, with `values` in its slots, instead of compiling the queryset again."""

    def __init__(
        self,
        user: User,
        queryset: QuerySet[Ticket] | Callable[[], QuerySet[Ticket]],
        *,
        statements: dict[str, Statement] | None = None,
        values: Sequence[Any] = (),
    ) -> None:
        self.user, self._queryset, self.statements, self.values = user, queryset, statements, values

    @property
    def queryset(self) -> QuerySet[Ticket]:
        """The list's queryset, built only when it is used (not for the compiled statements)."""
        if callable(self._queryset):
            self._queryset = self._queryset()
        return self._queryset

    def count_up_to(self, bound: int) -> int:
        if self.statements is not None:
            return int(self.statements["count"].rows(self.values, bound)[0][0])
        return self.queryset[:bound].count()

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        if not isinstance(index, slice):
            raise TypeError("A ticket list is read a page at a time.")
        if self.statements is not None and index.step is None and (index.start or 0) >= 0 and index.stop is not None:
            start = index.start or 0
            rows = self.statements["page"].rows(self.values, max(0, index.stop - start), start)
        else:
            rows = list(self.queryset.values_list(*_LIST_COLUMNS)[index])
        vendor = self.user.is_vendor
        persons: dict[int, list[ContactPerson]] = {}
        if vendor and rows:
            for person in ContactPerson.objects.filter(end_customer_id__in={r[2] for r in rows}).order_by("pk"):
                persons.setdefault(person.end_customer_id, []).append(person)
        result = []
        for ticket_id, partner_id, customer_id, subject, category, level, state, created, due, *customer in rows:
            shown = _Customer(*customer)
            if vendor and subject:
                subject = redact(subject, persons=persons.get(customer_id, ()), end_customer=shown)  # type: ignore[arg-type]
            # The answer's field order (TicketListOut): the JSON is written from these dicts as they are.
            result.append(
                {
                    "id": ticket_id,
                    "partner_id": partner_id,
                    "end_customer_id": customer_id,
                    "end_customer": shown.pseudonym if vendor and not shown.name_revealed else shown.name,
                    "subject": subject,
                    "category": category,
                    "level": level,
                    "state": state,
                    "created_at": created,
                    "due_at": due,
                }
            )
        return result


def ticket_rows_shown_to(user: User, tickets: QuerySet[Ticket]) -> TicketListRows:
    """A list of tickets (from `ticket_list`) as the rows `user` may read: what the API's list answers."""
    return TicketListRows(user, tickets)


class _Asker:
    """Who a list is compiled for: only what `tickets_visible_to` reads (the partner's id is a slot)."""

    is_active = True

    def __init__(self, is_vendor: bool, partner_id: int | None) -> None:
        self.is_vendor, self.partner_id = is_vendor, partner_id


def _list_statements(
    vendor: bool, states: int, level: bool, end_customer: bool, category: bool, ordering: str
) -> dict[str, Statement]:
    markers: list[Any] = []

    def slot(kind: type) -> Any:
        markers.append(marker(kind, len(markers)))
        return markers[-1]

    asker = _Asker(vendor, None if vendor else slot(int))
    tickets = ticket_list(
        asker,  # type: ignore[arg-type]
        states=[slot(str) for _ in range(states)] or None,
        level=slot(int) if level else None,
        end_customer_id=slot(int) if end_customer else None,
        category=slot(str) if category else None,
        ordering=ordering,
    )
    return {
        "count": compile_values(
            tickets.values_list("id"), markers, wrap="SELECT COUNT(*) FROM ({sql} LIMIT %s) subquery"
        ),
        "page": compile_values(tickets.values_list(*_LIST_COLUMNS), markers, wrap="{sql} LIMIT %s OFFSET %s"),
    }


_LIST_STATEMENTS = StatementCache(_list_statements)


def ticket_list_rows(
    user: User,
    *,
    states: Sequence[str] | None = None,
    level: int | None = None,
    end_customer_id: int | None = None,
    category: str | None = None,
    due_before: datetime | None = None,
    q: str | None = None,
    ordering: str = "-created_at",
) -> TicketListRows:
    """`ticket_list` as the rows `user` may read (the API's list). Without a search or a due bound, count
    and page run statements compiled once per process for the filters' shape (accounts.statements); the
    same SQL the queryset compiles to, with LIMIT/OFFSET as parameters."""

    def tickets() -> QuerySet[Ticket]:
        return ticket_list(
            user,
            states=states,
            level=level,
            end_customer_id=end_customer_id,
            category=category,
            due_before=due_before,
            q=q,
            ordering=ordering,
        )

    if not user.is_active or due_before is not None or (q and q.strip()) or ordering not in TICKET_ORDERINGS:
        return TicketListRows(user, tickets())
    states = list(states or ())
    shape = (user.is_vendor, len(states), level is not None, end_customer_id is not None, bool(category), ordering)
    statements = _LIST_STATEMENTS.get(router.db_for_read(Ticket), shape)
    if statements is None:
        return TicketListRows(user, tickets())
    values = [] if user.is_vendor else [user.partner_id]
    values += [*states, *([level] if level is not None else [])]
    values += [*([end_customer_id] if end_customer_id is not None else []), *([category] if category else [])]
    return TicketListRows(user, tickets, statements=statements, values=values)


# The ticket columns one ticket's answer (the API's TicketOut) reads, and its end customer's shown name.
ANSWER_FIELDS = (
    "partner",
    "end_customer",
    "subject",
    "category",
    "level",
    "state",
    "charged_contract",
    "created_at",
    "escalated_at",
    "resolved_at",
    "first_response_due_at",
    "first_response_at",
    "resolution_due_at",
    "clock_paused_at",
    "due_at",
    "solved_with_manual",
    *CAPTURE_TEXT_FIELDS,
    "end_customer__name",
    "end_customer__name_revealed",
    "end_customer__number",
    "end_customer__partner__number",
)


def ticket_answer_columns(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets (from `tickets_visible_to`) with only the columns one ticket's answer reads, in one query."""
    return tickets.select_related(None).select_related("end_customer__partner").only(*ANSWER_FIELDS)


def ticket_shown_to(user: User, ticket: Ticket) -> Any:
    """One ticket as `user` may read it (the API's TicketOut and the ticket page use this)."""
    return shown_one(user, ticket)


def messages_shown_to(user: User, ticket: Ticket) -> ShownRows:
    return ShownRows(user, messages_visible_to(user, ticket), ticket=ticket)


def attachments_shown_to(user: User, ticket: Ticket) -> ShownRows:
    return ShownRows(user, attachments_visible_to(user, ticket), ticket=ticket)


def transitions_shown_to(user: User, ticket: Ticket) -> ShownRows:
    return ShownRows(user, transitions_visible_to(user, ticket), ticket=ticket)
