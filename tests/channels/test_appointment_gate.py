"""The contact gate on every appointment channel (R9.3, R9.4): a call to an end customer ("call", checked when it is
scheduled and again when it is logged), an end-customer meeting participant ("web meeting"), a remote session on an
end customer's system ("remote maintenance"). Refused without an authorisation, after expiry, after revocation,
for another person; allowed within scope; each attempt audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.channels import appointments
from partnerdesk.channels.choices import AppointmentState
from partnerdesk.channels.models import Appointment
from partnerdesk.contact import services as contact_services
from partnerdesk.contact.choices import AuditAction, Channel, RefusalReason
from partnerdesk.contact.gate import ContactRefused
from partnerdesk.contact.models import AuditEntry
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.worklog.models import TimeEntry
from tests.contact.conftest import expire

from .conftest import open_slots, past_slot

pytestmark = pytest.mark.django_db

CASES = ["without", "expired", "revoked", "other_person"]


def _prepare(desk, channel: str, case: str):
    """The authorisation state of the case; returns the contact person the vendor tries to reach."""
    if case == "without":
        return desk.person
    if case == "other_person":
        desk.grant([channel])  # covers desk.person only
        return desk.colleague
    authorization = desk.grant([channel])
    if case == "expired":
        expire(authorization)
    else:
        contact_services.revoke_authorization(acting_user=desk.world.user("l1_agent"), authorization=authorization)
    return desk.person


EXPECTED_REASON = {
    "without": RefusalReason.NO_AUTHORIZATION,
    "expired": RefusalReason.EXPIRED,
    "revoked": RefusalReason.REVOKED,
    "other_person": RefusalReason.PERSON_NOT_COVERED,
}


def _refusals(channel: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.CONTACT_REFUSED, channel=channel).order_by("pk"))


def _callback(desk, person):
    start, end = open_slots(1, minutes=120)[0]
    return appointments.request_callback(
        acting_user=desk.world.user("l1_agent"),
        ticket=desk.ticket,
        topic="Rückruf beim Endkunden",
        wished_from=start,
        wished_until=end,
        contact_person=person,
    )


def _schedule(desk, callback):
    return appointments.schedule_callback(
        acting_user=desk.agent, callback=callback, agent=desk.agent, starts_at=open_slots(1)[0][0], minutes=30
    )


def _log(desk, callback):
    held = timezone.now() - timedelta(minutes=30)
    return appointments.log_callback(
        acting_user=desk.agent,
        callback=callback,
        started_at=held,
        ended_at=held + timedelta(minutes=10),
        outcome="reached",
    )


@pytest.mark.parametrize("case", CASES)
def test_r9_3_call_to_an_end_customer_refused_when_scheduled_and_audited(desk, case):
    person = _prepare(desk, Channel.CALL, case)
    callback = _callback(desk, person)
    with pytest.raises(ContactRefused) as refused:
        _schedule(desk, callback)
    assert refused.value.reason == EXPECTED_REASON[case]
    assert Appointment.objects.get().state == AppointmentState.REQUESTED
    [row] = _refusals(Channel.CALL)
    assert row.detail["reason"] == EXPECTED_REASON[case] and row.actor_id == desk.agent.pk


@pytest.mark.parametrize("case", ["expired", "revoked"])
def test_r9_3_call_checked_again_when_logged(desk, case):
    authorization = desk.grant([Channel.CALL])
    callback = _schedule(desk, _callback(desk, desk.person))
    if case == "expired":
        expire(authorization)
    else:
        contact_services.revoke_authorization(acting_user=desk.world.user("l1_agent"), authorization=authorization)
    with pytest.raises(ContactRefused):
        _log(desk, callback)
    assert Appointment.objects.get().state == AppointmentState.SCHEDULED and not TimeEntry.objects.exists()
    assert len(_refusals(Channel.CALL)) == 1


def test_r9_3_call_within_scope_is_scheduled_logged_and_the_contact_audited(desk):
    desk.grant([Channel.CALL])
    callback = _log(desk, _schedule(desk, _callback(desk, desk.person)))
    assert callback.state == AppointmentState.HELD and callback.time_entry is not None
    made = AuditEntry.objects.get(action=AuditAction.CONTACT_MADE, channel=Channel.CALL)
    assert made.detail["callback"] == callback.pk and made.detail["contact_person"] == desk.person.pk
    assert _refusals(Channel.CALL) == []


def test_r9_3_an_authorisation_for_another_channel_does_not_cover_a_call(desk):
    desk.grant([Channel.EMAIL])
    with pytest.raises(ContactRefused) as refused:
        _schedule(desk, _callback(desk, desk.person))
    assert refused.value.reason == RefusalReason.CHANNEL_NOT_COVERED


def _meeting(desk, person):
    return appointments.create_meeting(
        acting_user=desk.agent,
        ticket=desk.ticket,
        starts_at=open_slots(1)[0][0],
        minutes=30,
        join_url="https://meet.example/r/gate",
        contact_persons=[person],
    )


@pytest.mark.parametrize("case", CASES)
def test_r9_3_end_customer_meeting_participant_refused_and_audited(desk, case):
    person = _prepare(desk, Channel.WEB_MEETING, case)
    with pytest.raises(ContactRefused) as refused:
        _meeting(desk, person)
    assert refused.value.reason == EXPECTED_REASON[case]
    assert not Appointment.objects.exists() and not OutboxMessage.objects.filter(kind__startswith="meeting").exists()
    [row] = _refusals(Channel.WEB_MEETING)
    assert row.detail["reason"] == EXPECTED_REASON[case]


def test_r9_3_end_customer_meeting_participant_within_scope_is_invited_and_audited(desk):
    desk.grant([Channel.WEB_MEETING])
    meeting = _meeting(desk, desk.person)
    invitation = OutboxMessage.objects.get(kind="meeting_invitation_end_customer")
    assert invitation.to == [f"{desk.person.name} <{desk.person.email}>"]
    made = AuditEntry.objects.get(action=AuditAction.CONTACT_MADE, channel=Channel.WEB_MEETING)
    assert made.detail["meeting"] == meeting.pk and made.detail["method"] == "REQUEST"


def test_r9_3_a_revoked_participant_blocks_the_move_and_is_skipped_by_the_cancellation(desk):
    authorization = desk.grant([Channel.WEB_MEETING])
    meeting = _meeting(desk, desk.person)
    contact_services.revoke_authorization(acting_user=desk.world.user("l1_agent"), authorization=authorization)
    with pytest.raises(ContactRefused):
        appointments.reschedule_meeting(
            acting_user=desk.agent, meeting=meeting, starts_at=open_slots(2)[1][0], minutes=30
        )
    meeting.refresh_from_db()
    assert meeting.sequence == 0
    cancelled = appointments.cancel_meeting(acting_user=desk.agent, meeting=meeting)
    assert cancelled.state == AppointmentState.CANCELLED
    assert OutboxMessage.objects.filter(kind="meeting_invitation_end_customer").count() == 1  # only the first
    assert len(_refusals(Channel.WEB_MEETING)) == 2


def _session(desk, person):
    start, _end = past_slot()
    return appointments.record_remote_session(
        acting_user=desk.agent,
        ticket=desk.ticket,
        tool="anydesk",
        session_id="987 654 321",
        started_at=start,
        ended_at=start + timedelta(minutes=25),
        summary="Zertifikat erneuert",
        contact_person=person,
    )


@pytest.mark.parametrize("case", CASES)
def test_r9_3_remote_session_on_an_end_customers_system_refused_and_audited(desk, case):
    person = _prepare(desk, Channel.REMOTE_MAINTENANCE, case)
    with pytest.raises(ContactRefused) as refused:
        _session(desk, person)
    assert refused.value.reason == EXPECTED_REASON[case]
    assert not Appointment.objects.exists() and not TimeEntry.objects.exists()
    [row] = _refusals(Channel.REMOTE_MAINTENANCE)
    assert row.detail["reason"] == EXPECTED_REASON[case]


def test_r9_3_remote_session_with_the_consent_of_an_authorised_person(desk):
    desk.grant([Channel.REMOTE_MAINTENANCE])
    session = _session(desk, desk.person)
    assert session.contact_person_id == desk.person.pk and session.time_entry.minutes == 25
    made = AuditEntry.objects.get(action=AuditAction.CONTACT_MADE, channel=Channel.REMOTE_MAINTENANCE)
    assert made.detail["remote_session"] == session.pk


def test_r9_3_api_refusal_is_403_and_stays_audited(desk, api_as):
    callback = _callback(desk, desk.person)
    response = api_as("l2_agent").post(
        f"callbacks/{callback.pk}/schedule",
        {"agent_id": desk.agent.pk, "starts_at": open_slots(1)[0][0].isoformat(), "minutes": 30},
    )
    assert response.status_code == 403
    assert len(_refusals(Channel.CALL)) == 1
