"""When an appointment may take place: inside support hours, and when its agent is free (R6.4).

The hours are the vendor's support calendar (``tickets.clocks.vendor_calendar``, the ``hours`` engine); the
offered slots are the engine's ``next_open_slots`` less the time the vendor's agents have already booked. A
refused time is a ``SlotRefused`` (a ``ValidationError`` naming the field) that carries the next open slots,
so the API and the pages can offer them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.hours import OutOfRangeError
from partnerdesk.tickets.clocks import vendor_calendar

from .choices import BUSY_STATES, AppointmentKind
from .models import Appointment

Slot = tuple[datetime, datetime]

# The vendor staff whose time appointments take, and who hold them.
AGENT_ROLES = (Role.L2_AGENT, Role.L3_ENGINEER, Role.VENDOR_ADMIN)
# The slots a refusal offers.
OFFERED_SLOTS = 5
# A requested start a little in the past is clock skew, not a mistake.
PAST_TOLERANCE = timedelta(minutes=5)
# How far ahead the slot search looks before it gives up (agents booked solid, or hours closed for long).
SEARCH_DAYS = 120


class SlotRefused(ValidationError):
    """A time outside support hours, running past their end, or when the agent is taken; with the next slots."""

    def __init__(self, field: str, message: str, slots: list[Slot]) -> None:
        self.field = field
        self.slots = slots
        if slots:
            offered = ", ".join(local_text(start) for start, _end in slots)
            message = f"{message} " + _("Next open slots: %(slots)s.") % {"slots": offered}
        super().__init__({field: [message]})


def local_text(moment: datetime) -> str:
    zone = vendor_calendar().zone
    return f"{timezone.localtime(moment, zone):%Y-%m-%d %H:%M}"


def ensure_in_calendar(moment: datetime, field: str) -> datetime:
    """Refuse a time the support calendar does not know (its holidays end with its range), naming the field."""
    first, last = vendor_calendar().years
    year = timezone.localtime(moment, vendor_calendar().zone).year
    if not first <= year < last:  # the last year stays free for the slot search beyond the time asked for
        raise ValidationError(
            {field: _("Choose a time between %(first)s and %(last)s.") % {"first": first, "last": last - 1}}
        )
    return moment


def within_support_hours(starts_at: datetime, ends_at: datetime) -> bool:
    """Whether ``[starts_at, ends_at)`` lies wholly inside support hours (one open period, never past its end)."""
    calendar = vendor_calendar()
    return (
        ends_at > starts_at
        and calendar.is_open(starts_at)
        and calendar.between(starts_at, ends_at) == (ends_at - starts_at)
    )


def agents() -> list[int]:
    """The vendor's active agents whose free time the slots offer."""
    return list(
        User.objects.filter(partner__isnull=True, is_active=True, role__in=(Role.L2_AGENT, Role.L3_ENGINEER))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def busy_times(agent_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[Slot]]:
    """Each agent's booked time overlapping ``[start, end)``, in one query."""
    busy: dict[int, list[Slot]] = {}
    rows = Appointment.objects.filter(
        agent_id__in=list(agent_ids), state__in=BUSY_STATES, starts_at__lt=end, ends_at__gt=start
    ).values_list("agent_id", "starts_at", "ends_at")
    for agent_id, starts_at, ends_at in rows:
        busy.setdefault(agent_id, []).append((starts_at, ends_at))
    return busy


def _free(slot: Slot, busy: list[Slot]) -> bool:
    return all(not (slot[0] < b_end and b_start < slot[1]) for b_start, b_end in busy)


def free_slots(*, duration: timedelta, after: datetime, count: int, agent_id: int | None = None) -> list[Slot]:
    """The next ``count`` slots of ``duration`` in support hours from ``after`` on in which the agent (or, with
    none given, at least one of the vendor's agents) has nothing booked. Without agents: the hours' slots."""
    calendar = vendor_calendar()
    agent_ids = [agent_id] if agent_id is not None else agents()
    found: list[Slot] = []
    cursor = after
    horizon = after + timedelta(days=SEARCH_DAYS)
    batch = max(count * 4, 16)
    while len(found) < count and cursor < horizon:
        try:
            candidates = calendar.next_open_slots(cursor, duration, batch)
        except OutOfRangeError:  # the calendar's range ends: fewer slots
            break
        if not candidates:
            break
        busy = busy_times(agent_ids, candidates[0][0], candidates[-1][1]) if agent_ids else {}
        for slot in candidates:
            if not agent_ids or any(_free(slot, busy.get(a, [])) for a in agent_ids):
                found.append(slot)
                if len(found) == count:
                    break
        cursor = candidates[-1][1]
    return found


def clash_of(
    agent_id: int, starts_at: datetime, ends_at: datetime, *, excluding: int | None = None
) -> Appointment | None:
    """The agent's appointment that overlaps ``[starts_at, ends_at)``, if any (call under ``locks.lock_agent``)."""
    rows = Appointment.objects.filter(
        agent_id=agent_id, state__in=BUSY_STATES, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).order_by("starts_at")
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return rows.first()


def clash_message(other: Appointment) -> str:
    return _("The agent already has an appointment then: %(kind)s #%(id)s, %(start)s-%(end)s.") % {
        "kind": AppointmentKind(other.kind).label,
        "id": other.pk,
        "start": local_text(other.starts_at) if other.starts_at else "",
        "end": f"{timezone.localtime(other.ends_at, vendor_calendar().zone):%H:%M}" if other.ends_at else "",
    }


def check_slot(
    *,
    starts_at: datetime,
    minutes: int,
    agent_id: int,
    field: str = "starts_at",
    excluding: int | None = None,
    future: bool = True,
    in_hours: bool = True,
) -> datetime:
    """Refuse a time outside support hours or one that runs past their end (``in_hours``: what is offered and
    scheduled), one in the past (``future``), or one that clashes with another appointment of the agent (call
    under ``locks.lock_agent``); returns the end."""
    ensure_in_calendar(starts_at, field)
    duration = timedelta(minutes=minutes)
    ends_at = starts_at + duration
    now = timezone.now()
    if future and starts_at < now - PAST_TOLERANCE:
        raise SlotRefused(
            field, _("Choose a time in the future."), free_slots(duration=duration, after=now, count=OFFERED_SLOTS)
        )
    if in_hours and not within_support_hours(starts_at, ends_at):
        raise SlotRefused(
            field,
            _("That time is outside support hours or runs past their end."),
            free_slots(duration=duration, after=max(starts_at, now), count=OFFERED_SLOTS, agent_id=agent_id),
        )
    other = clash_of(agent_id, starts_at, ends_at, excluding=excluding)
    if other is not None:
        raise SlotRefused(
            field,
            clash_message(other),
            free_slots(duration=duration, after=max(starts_at, now), count=OFFERED_SLOTS, agent_id=agent_id),
        )
    return ends_at
