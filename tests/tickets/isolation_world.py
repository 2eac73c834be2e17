"""Tickets' part of the tenant-isolation walk (tests/isolation.py): attachments, messages, defects."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.tickets import services
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Attachment, Message


def extend_world(world: Any) -> None:
    """On the escalated tickets the contracts part made: correspondence, an internal note, files, a defect."""
    for suffix, partner_role_user in (("a", world.users[Role.L1_AGENT]), ("b", world.outsider[Role.L1_AGENT])):
        ticket = getattr(world, f"contracts_ticket_{suffix}")
        letter = Message.objects.create(
            ticket=ticket, kind=MessageKind.END_CUSTOMER, author=partner_role_user, body=f"Letter {suffix}"
        )
        note = Message.objects.create(
            ticket=ticket, kind=MessageKind.PARTNER_NOTE, author=partner_role_user, body=f"Secret note {suffix}"
        )
        shared = Attachment(
            ticket=ticket,
            filename=f"log-{suffix}.txt",
            content_type="text/plain",
            size=3,
            uploaded_by=partner_role_user,
            kind=MessageKind.END_CUSTOMER,
            shared_with_vendor=True,
        )
        shared.file.save(f"log-{suffix}.txt", SimpleUploadedFile("x.txt", b"log"), save=True)
        private = Attachment(
            ticket=ticket,
            filename=f"private-{suffix}.txt",
            content_type="text/plain",
            size=3,
            uploaded_by=partner_role_user,
            kind=MessageKind.PARTNER_NOTE,
        )
        private.file.save(f"private-{suffix}.txt", SimpleUploadedFile("y.txt", b"sec"), save=True)
        defect = services.link_defect(
            acting_user=world.users[Role.L3_ENGINEER], ticket=ticket, key=f"GRP-{suffix}", title=f"Defect {suffix}"
        )
        for name, value in (
            ("letter", letter),
            ("note", note),
            ("shared_file", shared),
            ("private_file", private),
            ("defect", defect),
        ):
            setattr(world, f"tickets_{name}_{suffix}", value)


def _foreign(partner_attr: str, vendor_attr: str | None) -> Any:
    def foreign(world: Any, user: User) -> int | None:
        attr = partner_attr if user.is_partner else vendor_attr
        return getattr(world, attr).pk if attr else None

    return foreign


def _markers(world: Any, user: User) -> list[str]:
    if not hasattr(world, "tickets_note_a"):
        return []
    if user.is_partner:
        return ["Secret note b", "Letter b", "Defect b"]
    return ["Secret note a", "Secret note b", "private-a.txt"]


def register(isolation: ModuleType) -> None:
    kind = isolation.IdKind
    isolation.ID_KINDS.setdefault(
        "attachment_id",
        kind(
            own=lambda w, u: w.tickets_shared_file_a.pk,
            foreign=_foreign("tickets_shared_file_b", "tickets_private_file_a"),
        ),
    )
    isolation.ID_KINDS.setdefault(
        "shared_attachment_id",
        kind(
            own=lambda w, u: w.tickets_shared_file_a.pk,
            foreign=_foreign("tickets_shared_file_b", "tickets_private_file_a"),
        ),
    )
    isolation.ID_KINDS.setdefault(
        "shared_message_id",
        kind(own=lambda w, u: w.tickets_letter_a.pk, foreign=_foreign("tickets_letter_b", "tickets_note_a")),
    )
    isolation.ID_KINDS.setdefault(
        "defect_id", kind(own=lambda w, u: w.tickets_defect_a.pk, foreign=_foreign("tickets_defect_b", None))
    )
    isolation.WORLD_EXTENSIONS.append(extend_world)
    isolation.MARKERS.append(_markers)
