"""A rolled-back change notifies nobody (ARCHITECTURE conventions 2 and 19; R4.9, R6.3, R7.1): every kind's
mail is an outbox row written in the transaction of the change, so the rollback takes it along."""

from __future__ import annotations

import pytest

from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.outbox.models import OutboxMessage
from tests.rollback import commit, roll_back

from .notification_scenarios import SCENARIOS, last_pk, rows_after

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.kind)
def test_r7_1_rolled_back_change_leaves_no_notification(
    world, mailoutbox, django_capture_on_commit_callbacks, scenario
):
    state = scenario.prepare(world)
    deliver_due()  # what the preparation told (e.g. the escalation) is sent before
    mailoutbox.clear()
    before = last_pk()
    assert roll_back(django_capture_on_commit_callbacks, lambda: scenario.act(world, state)) == []
    assert rows_after(before) == [] and mailoutbox == []
    # The same change committed does tell (so the test can fail).
    commit(django_capture_on_commit_callbacks, lambda: scenario.act(world, state))
    told = rows_after(before, kind=scenario.row_kind)
    assert told and all(row.state == "sent" for row in told)
    assert {m.extra_headers["Message-ID"] for m in mailoutbox} >= {row.message_id for row in told}
    assert OutboxMessage.objects.filter(pk__gt=before).count() == len(rows_after(before))


def test_r7_3_rolled_back_meeting_sends_no_invitation(desk, mailoutbox, django_capture_on_commit_callbacks):
    """The invitations to the partner's users and to an authorised end customer (R7.3, R9.3) are outbox rows of
    the meeting's transaction: rolled back, nobody is invited; committed, both are."""
    from partnerdesk.channels import appointments
    from partnerdesk.contact.choices import Channel
    from tests.rollback import commit, roll_back

    from .conftest import open_slots

    desk.grant([Channel.WEB_MEETING])
    slots = open_slots(2)

    def create(slot):
        return lambda: appointments.create_meeting(
            acting_user=desk.agent,
            ticket=desk.ticket,
            starts_at=slot[0],
            minutes=30,
            join_url="https://meet.example/r/rollback",
            users=[desk.world.user("l1_agent")],
            contact_persons=[desk.person],
        )

    mailoutbox.clear()
    assert roll_back(django_capture_on_commit_callbacks, create(slots[0])) == []
    assert mailoutbox == [] and not OutboxMessage.objects.filter(kind__startswith="meeting_invitation").exists()
    commit(django_capture_on_commit_callbacks, create(slots[1]))
    sent = {address for message in mailoutbox for address in message.to}
    assert desk.world.user("l1_agent").email in sent and any(desk.person.email in a for a in sent)
