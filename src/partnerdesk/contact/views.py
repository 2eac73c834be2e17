"""Contact pages: authorisations, a ticket's contacts and mail, the brand, the audit log. Thin views."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.models import User
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import ticket_shown_to, tickets_visible_to
from partnerdesk.web.errors import add_service_errors
from partnerdesk.web.paging import page_of
from partnerdesk.web.params import object_id

from . import audit_rows, selectors, services
from .branding import brand_of, effective_brand
from .choices import BRAND_ROLES, CONTACT_ROLES, GRANT_ROLES, AppearAs, Channel
from .forms import AuditFilterForm, AuthorizationForm, BrandForm, EndCustomerMailForm
from .gate import ContactRefused, authorize_contact
from .outbound import send_mail_to_end_customer

PAGE_SIZE = 25
# Service error names (API field names) and the form fields that show them.
_FORM_FIELDS = {"contact_person_ids": "contact_persons", "ticket_id": "ticket", "logo": "logo_upload"}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, roles: Any) -> None:
    if not user.is_active or user.role not in roles:
        raise PermissionDenied(_("Your role does not allow this action."))


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    user = _user(request)
    return account_selectors.get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)


# --- authorisations -------------------------------------------------------------------------------


@login_required
def authorization_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    show = request.GET.get("show", "current")
    authorizations = selectors.authorizations_visible_to(user)
    now = timezone.now()
    if show == "current":
        authorizations = authorizations.filter(revoked_at__isnull=True, valid_until__gt=now)
    page = page_of(request, authorizations, PAGE_SIZE)
    end_customers = (
        account_selectors.end_customers_visible_to(user).filter(is_active=True) if user.role in GRANT_ROLES else None
    )
    return render(
        request,
        "contact/authorization_list.html",
        {"page": page, "show": show, "now": now, "end_customers": end_customers, "may_grant": user.role in GRANT_ROLES},
    )


@login_required
def authorization_start(request: HttpRequest) -> HttpResponse:
    """The list's "new authorisation" chooser: on to the end customer's grant page."""
    user = _user(request)
    _require(user, GRANT_ROLES)
    end_customer_id = object_id(request.GET.get("end_customer_id"))
    if end_customer_id is None:
        return redirect("web:contact_authorizations")
    end_customer = account_selectors.get_visible_or_404(
        account_selectors.end_customers_visible_to(user), end_customer_id, user=user
    )
    return redirect("web:contact_authorize", end_customer_id=end_customer.pk)


@login_required
def authorize(request: HttpRequest, end_customer_id: int) -> HttpResponse:
    user = _user(request)
    end_customer = account_selectors.get_visible_or_404(
        account_selectors.end_customers_visible_to(user), end_customer_id, user=user
    )
    _require(user, GRANT_ROLES)
    tickets = tickets_visible_to(user)
    initial = {}
    ticket_id = object_id(request.GET.get("ticket"))
    if ticket_id is not None:
        initial["ticket"] = ticket_id
    form = AuthorizationForm(request.POST or None, end_customer=end_customer, tickets=tickets, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_authorization(
                acting_user=user,
                end_customer=end_customer,
                ticket=data["ticket"],
                channels=data["channels"],
                contact_persons=list(data["contact_persons"]),
                valid_until=data["valid_until"],
                appear_as=data["appear_as"],
            )
        except ValidationError as error:
            add_service_errors(form, error, renamed=_FORM_FIELDS)
        else:
            messages.success(request, _("The vendor may now contact the chosen persons until the expiry."))
            if data["ticket"] is not None:
                return redirect("web:contact_ticket", ticket_id=data["ticket"].pk)
            return redirect("web:contact_authorizations")
    return render(request, "contact/authorize.html", {"end_customer": end_customer, "form": form})


@login_required
@require_POST
def revoke(request: HttpRequest, authorization_id: int) -> HttpResponse:
    user = _user(request)
    authorization = account_selectors.get_visible_or_404(
        selectors.authorizations_visible_to(user), authorization_id, user=user
    )
    services.revoke_authorization(acting_user=user, authorization=authorization)
    messages.success(request, _("The authorisation was revoked; the vendor can no longer contact these persons."))
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("web:contact_authorizations")


# --- a ticket's contacts --------------------------------------------------------------------------


@login_required
def ticket_contact(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Partner: the persons, the ticket's authorisations and the correspondence. Vendor: the persons a
    current authorisation covers (this view is logged as a reveal) and the form to write to them."""
    user = _user(request)
    ticket = _ticket(request, ticket_id)
    if user.is_vendor and user.role not in CONTACT_ROLES:
        raise PermissionDenied(_("Your role does not allow this action."))
    return _render_ticket_contact(request, user, ticket, None)


def _render_ticket_contact(request: HttpRequest, user: User, ticket: Ticket, form: Any) -> HttpResponse:
    contacts = selectors.contacts_shown_to(user, ticket, via="page")
    if form is None and user.is_vendor:
        recipients = [(c.id, c.name) for c in contacts if Channel.EMAIL in c.channels and c.email]
        form = EndCustomerMailForm(recipients=recipients) if recipients else None
    authorizations = selectors.authorizations_visible_to(user).filter(
        Q(ticket__isnull=True, end_customer_id=ticket.end_customer_id) | Q(ticket=ticket)
    )
    context = {
        "ticket": ticket_shown_to(user, ticket),  # the vendor reads its texts masked (R9.1)
        "end_customer_label": ticket.end_customer.name
        if user.is_partner or ticket.end_customer.name_revealed
        else ticket.end_customer.pseudonym,
        "contacts": contacts,
        "authorizations": authorizations,
        "mails": selectors.end_customer_mails_visible_to(user, ticket),
        "mail_form": form,
        "now": timezone.now(),
        "may_grant": user.role in GRANT_ROLES,
    }
    return render(request, "contact/ticket_contact.html", context)


@login_required
@require_POST
def send_mail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = _ticket(request, ticket_id)
    if user.is_partner or user.role not in CONTACT_ROLES:
        raise PermissionDenied(_("Your role does not allow this action."))
    persons = selectors.contact_person_of_ticket(ticket)
    recipients = [(p.pk, str(p.pk)) for p in persons]
    form = EndCustomerMailForm(request.POST, recipients=recipients)
    if form.is_valid():
        person = persons.get(pk=form.cleaned_data["contact_person"])
        try:
            permit = authorize_contact(acting_user=user, ticket=ticket, contact_person=person, channel=Channel.EMAIL)
            send_mail_to_end_customer(
                permit=permit, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
            )
        except ContactRefused as refused:
            messages.error(request, refused.message)
        except ValidationError as error:
            add_service_errors(form, error, renamed=_FORM_FIELDS)
            return _render_ticket_contact(request, user, ticket, form)
        else:
            messages.success(request, _("The mail is on its way."))
        return redirect("web:contact_ticket", ticket_id=ticket.pk)
    messages.error(request, _("Check the form: recipient, subject and text are required."))
    return redirect("web:contact_ticket", ticket_id=ticket.pk)


# --- brand ----------------------------------------------------------------------------------------


@login_required
def brand(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, BRAND_ROLES)
    if user.partner is None:
        raise PermissionDenied(_("Your role does not allow this action."))
    current = brand_of(user.partner)
    form = BrandForm(request.POST or None, request.FILES or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_brand(
                acting_user=user,
                changes={f: data[f] for f in services.BRAND_FIELDS},
                logo=data.get("logo_upload") or None,
                remove_logo=bool(data.get("remove_logo")),
            )
        except ValidationError as error:
            add_service_errors(form, error, renamed=_FORM_FIELDS)
        else:
            messages.success(request, _("Your brand was saved."))
            return redirect("web:contact_brand")
    logo_src = effective_brand(partner=user.partner, appear_as=AppearAs.PARTNER).logo_data_uri
    return render(request, "contact/brand.html", {"form": form, "logo_src": logo_src})


# --- audit log ------------------------------------------------------------------------------------


def _audit_entries(request: HttpRequest) -> tuple[Any, AuditFilterForm]:
    entries = selectors.audit_entries_visible_to(_user(request)).select_related("end_customer__partner")
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        if form.cleaned_data["action"]:
            entries = entries.filter(action=form.cleaned_data["action"])
        if form.cleaned_data["ticket"]:
            entries = entries.filter(ticket_id=form.cleaned_data["ticket"])
    return entries, form


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    entries, form = _audit_entries(request)
    page = page_of(request, entries, PAGE_SIZE)
    rows = audit_rows.rows_for(user, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "contact/audit_log.html", {"page": page, "rows": rows, "form": form, "query": query.urlencode()}
    )


@login_required
def audit_log_csv(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    entries, _form = _audit_entries(request)
    rows = audit_rows.rows_for(user, entries.order_by("partner_id", "seq"))
    response = HttpResponse(audit_rows.csv_of(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
