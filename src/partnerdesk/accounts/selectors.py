"""Every read of accounts data that depends on who asks; the only place that filters by tenant."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .choices import Role, SecurityEvent
from .models import ApiToken, ContactPerson, EndCustomer, Partner, SecurityLog, User
from .security_log import log_security_event

M = TypeVar("M", bound=Model)


def get_visible_or_404(queryset: QuerySet[M], pk: object, *, user: User | None = None) -> M:
    """Fetch by an id from outside. Foreign and missing objects look the same (R1.1): 404.

    When the object exists but the asker may not see it, the refusal is logged with the route (R1.5).
    """
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        if user is not None:
            try:
                exists = queryset.model._default_manager.filter(pk=pk).exists()
            except (ValueError, TypeError):
                exists = False
            if exists:
                # Repeats (other foreign ids of the same kind, same route, same minute) are counted.
                log_security_event(
                    event=SecurityEvent.ACCESS_REFUSED,
                    user=user,
                    detail=f"{queryset.model._meta.label} {pk}",
                    kind=queryset.model._meta.label,
                )
        raise Http404(_("Not found.")) from None


def get_all_visible_or_404(queryset: QuerySet[M], pks: Iterable[object], *, user: User) -> list[M]:
    """Fetch several ids from outside in one query; any foreign or missing one makes the whole request
    a 404, with the refusal logged like that of a single id (R1.1, R1.5)."""
    wanted = list(dict.fromkeys(pks))
    found = {obj.pk: obj for obj in queryset.filter(pk__in=wanted)} if wanted else {}
    for pk in wanted:
        if pk not in found:
            get_visible_or_404(queryset, pk, user=user)  # logs a foreign id, and raises
            raise Http404(_("Not found."))
    return [found[pk] for pk in wanted]


def partners_visible_to(user: User) -> QuerySet[Partner]:
    if not user.is_active:
        return Partner.objects.none()
    if user.is_vendor:
        return Partner.objects.all()
    return Partner.objects.filter(pk=user.partner_id)


def end_customers_visible_to(user: User) -> QuerySet[EndCustomer]:
    """The vendor sees all end customers, but only as pseudonyms (the API masks them, R1.3)."""
    queryset = EndCustomer.objects.select_related("partner")
    if not user.is_active:
        return queryset.none()
    if user.is_vendor:
        return queryset
    return queryset.filter(partner_id=user.partner_id)


def contact_persons_visible_to(user: User) -> QuerySet[ContactPerson]:
    """Contact persons are the partner's; the vendor sees none without authorisation (R9.1)."""
    if user.is_vendor or not user.is_active:
        return ContactPerson.objects.none()
    return ContactPerson.objects.filter(end_customer__partner_id=user.partner_id)


def users_visible_to(user: User) -> QuerySet[User]:
    if not user.is_active:
        return User.objects.none()
    if user.is_vendor:
        if user.role == Role.VENDOR_ADMIN:
            return User.objects.select_related("partner")
        return User.objects.filter(Q(organisation=user.organisation, partner__isnull=True))
    if user.role == Role.PARTNER_ADMIN:
        return User.objects.filter(partner_id=user.partner_id).select_related("partner")
    return User.objects.filter(pk=user.pk)


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


# A pseudonym as the vendor sees it (R1.3): `P07-C0031`, also `C0031` or `c31`.
_PSEUDONYM = re.compile(r"^(?:p(\d{1,9})-)?c(\d{1,9})$", re.IGNORECASE)


def _pseudonym_match(text: str) -> Q | None:
    match = _PSEUDONYM.match(text)
    if match is None:
        return None
    condition = Q(number=int(match.group(2)))
    if match.group(1) is not None:
        condition &= Q(partner__number=int(match.group(1)))
    return condition


def search_end_customers(queryset: QuerySet[EndCustomer], text: str, *, user: User) -> QuerySet[EndCustomer]:
    """Search only what the asker is shown (R1.3): the vendor sees the pseudonym and a revealed name,
    never a hidden name, the city or the contact persons, so a search cannot probe them either."""
    text = text.strip()
    if not text:
        return queryset
    by_pseudonym = _pseudonym_match(text)
    if user.is_vendor:
        condition = Q(name_revealed=True, name__icontains=text)
        return queryset.filter(condition | by_pseudonym if by_pseudonym is not None else condition)
    condition = Q(name__icontains=text) | Q(city__icontains=text) | Q(contacts__name__icontains=text)
    if by_pseudonym is not None:
        condition |= by_pseudonym
    return queryset.filter(condition).distinct()


def security_log_visible_to(user: User) -> QuerySet[SecurityLog]:
    if not user.is_active:
        return SecurityLog.objects.none()
    if user.is_vendor and user.role == Role.VENDOR_ADMIN:
        return SecurityLog.objects.select_related("user")
    if user.role == Role.PARTNER_ADMIN:
        return SecurityLog.objects.filter(user__partner_id=user.partner_id).select_related("user")
    return SecurityLog.objects.filter(user=user)
