"""Row locks of the channels app (ARCHITECTURE 6): only here, each naming its own row.

Appointments lock in one order: the agent first (``lock_agent``, which serialises every booking of that agent's
time, R6.4), then the appointment, then what ``contact.gate.perform_contact`` locks (the partner's audit chain and
its authorisations), then what the worklog's booking locks (contract, term).
"""

from __future__ import annotations

from django.db import transaction

from partnerdesk.accounts.models import User

from .models import Appointment, InboundMail


def lock_inbound(pk: int) -> InboundMail:
    return InboundMail.objects.select_for_update(of=("self",)).get(pk=pk)


def lock_agent(agent_id: int) -> User:
    """The agent's row: whoever books this agent's time holds it until commit, so two bookings never both
    see the time free (on SQLite the IMMEDIATE transaction serialises writers anyway)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_agent needs a transaction")
    return User.objects.select_for_update(of=("self",)).get(pk=agent_id)


def lock_appointment(pk: int) -> Appointment:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_appointment needs a transaction")
    return Appointment.objects.select_for_update(of=("self",)).get(pk=pk)
