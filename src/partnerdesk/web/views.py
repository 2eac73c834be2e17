"""Pages: thin views that parse input, call a selector or service, and render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_POST

from partnerdesk.accounts import selectors, services, two_factor
from partnerdesk.accounts.choices import NotificationKind, Role, SecurityEvent
from partnerdesk.accounts.models import User
from partnerdesk.billing import selectors as billing_selectors
from partnerdesk.channels import user_invitations
from partnerdesk.contact import services as contact_services
from partnerdesk.reports import views as report_views
from partnerdesk.tickets.selectors import ticket_figures
from partnerdesk.web.errors import add_service_errors
from partnerdesk.web.paging import page_of

from .forms import (
    ContactFormSet,
    EndCustomerForm,
    ForgotPasswordForm,
    InviteForm,
    LanguageForm,
    PartnerOnboardForm,
    RoleForm,
    TokenForm,
    role_choices,
)

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _page(request: HttpRequest, queryset: Any) -> Any:
    return page_of(request, queryset, PAGE_SIZE)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context: dict[str, Any] = {"role_label": user.get_role_display()}
    if user.is_vendor:
        context["partner_count"] = selectors.partners_visible_to(user).filter(is_active=True).count()
    else:
        context["end_customer_count"] = selectors.end_customers_visible_to(user).filter(is_active=True).count()
    context.update(ticket_figures(user))
    if user.role in (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN):
        context["security_log"] = selectors.security_log_visible_to(user)[:10]
    context.update(report_views.dashboard_context(user))  # the role panels (partnerdesk.reports)
    return render(request, "web/dashboard.html", context)


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """The DE/EN buttons in the header (R12.1).

    Django's view keeps the choice in a cookie, which beats the browser's language. A user who saved a
    language on the profile page would not see the switch (the saved language wins), so for that user
    the button changes the saved language too.
    """
    response = i18n_views.set_language(request)
    user = request.user
    language = request.POST.get("language", "")
    if user.is_authenticated and user.language and language in dict(settings.LANGUAGES):
        services.set_user_language(acting_user=user, language=language)  # type: ignore[arg-type]
    return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    language_form = LanguageForm(initial={"language": user.language})
    token_form = TokenForm()
    new_token = None
    notification_errors: list[str] = []
    if request.method == "POST":
        if "notifications" in request.POST:
            # One checkbox per kind the role receives; the unchecked ones are switched off.
            checked = request.POST.getlist("notify")
            notification_errors = [p for k in checked if (p := services.notification_kind_problem(user, k))]
            if not notification_errors:
                kinds_off = [k for k in user.notification_kinds if k not in checked]
                services.set_notification_switches(acting_user=user, kinds_off=kinds_off)
                messages.success(request, _("Your notification settings were saved."))
                return redirect("web:profile")
        elif "language" in request.POST:
            language_form = LanguageForm(request.POST)
            if language_form.is_valid():
                language = language_form.cleaned_data["language"]
                services.set_user_language(acting_user=user, language=language)
                # Confirm in the language the next page will have.
                translation.activate(language or translation.get_language_from_request(request))
                messages.success(request, _("Your language was saved."))
                return redirect("web:profile")
        else:
            token_form = TokenForm(request.POST)
            if token_form.is_valid():
                try:
                    _token, new_token = services.create_api_token(
                        acting_user=user, name=token_form.cleaned_data["name"]
                    )
                except ValidationError as error:
                    add_service_errors(token_form, error)
                else:
                    token_form = TokenForm()
    return render(
        request,
        "web/profile.html",
        {
            "language_form": language_form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": selectors.api_tokens_of(user),
            "notification_switches": [
                (kind, NotificationKind(kind).label, kind not in (user.notifications_off or []))
                for kind in user.notification_kinds
            ],
            "notification_errors": notification_errors,
            "two_factor_on": two_factor.confirmed_device(user) is not None,
            "two_factor_required": two_factor.required_for(user) if user.is_vendor else False,
        },
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _user(request)
    token = selectors.get_visible_or_404(selectors.api_tokens_of(user), token_id, user=user)
    services.revoke_api_token(acting_user=user, token=token)
    messages.success(request, _("The token was revoked."))
    return redirect("web:profile")


@login_required
def partners(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.is_partner:
        return redirect("web:partner", partner_id=user.partner_id)
    query = request.GET.get("q", "").strip()
    queryset = selectors.partners_visible_to(user)
    if query:
        queryset = queryset.filter(name__icontains=query)
    return render(request, "web/partners.html", {"page": _page(request, queryset), "q": query})


@login_required
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    user = _user(request)
    partner = selectors.get_visible_or_404(selectors.partners_visible_to(user), partner_id, user=user)
    query = request.GET.get("q", "").strip()
    end_customers = selectors.search_end_customers(
        selectors.end_customers_visible_to(user).filter(partner=partner), query, user=user
    )
    template = "web/partials/end_customer_rows.html" if request.htmx else "web/partner.html"  # type: ignore[attr-defined]
    context = {"partner": partner, "page": _page(request, end_customers), "q": query}
    if not request.htmx and user.role in (Role.VENDOR_ADMIN, Role.BILLING, Role.PARTNER_ADMIN):  # type: ignore[attr-defined]
        context["billing_profile"] = billing_selectors.billing_profile_of(partner)
    return render(request, template, context)


@login_required
def end_customers(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.is_partner:
        return redirect("web:partner", partner_id=user.partner_id)
    return redirect("web:partners")


@login_required
def end_customer_create(request: HttpRequest, partner_id: int) -> HttpResponse:
    user = _user(request)
    partner = selectors.get_visible_or_404(selectors.partners_visible_to(user), partner_id, user=user)
    if user.role not in (Role.PARTNER_ADMIN, Role.L1_AGENT):
        raise PermissionDenied(_("Your role does not allow this action."))
    form = EndCustomerForm(request.POST or None)
    formset = ContactFormSet(request.POST or None, prefix="contacts")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        contacts = [
            {k: f.cleaned_data[k] for k in ("name", "email", "phone")}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        data = dict(form.cleaned_data)
        revealed = data.pop("name_revealed", False)
        try:
            with transaction.atomic():
                end_customer = services.create_end_customer(
                    acting_user=user, partner=partner, contacts=contacts, **data
                )
                if revealed:  # an audited reveal (R9.4), in the same transaction as the new end customer
                    contact_services.set_end_customer_name_revealed(
                        acting_user=user, end_customer=end_customer, revealed=True
                    )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": end_customer.name})
            return redirect("web:partner", partner_id=partner.pk)
    return render(request, "web/end_customer_form.html", {"partner": partner, "form": form, "formset": formset})


@login_required
def end_customer_edit(request: HttpRequest, partner_id: int, end_customer_id: int) -> HttpResponse:
    user = _user(request)
    queryset = selectors.end_customers_visible_to(user).filter(partner_id=partner_id)
    end_customer = selectors.get_visible_or_404(queryset, end_customer_id, user=user)
    if user.is_vendor:
        return render(request, "web/end_customer_vendor.html", {"end_customer": end_customer})
    form = EndCustomerForm(request.POST or None, instance=end_customer)
    formset = ContactFormSet(request.POST or None, instance=end_customer, prefix="contacts")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        contacts = [
            {k: f.cleaned_data[k] for k in ("name", "email", "phone")}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        changes = dict(form.cleaned_data)
        revealed = changes.pop("name_revealed", end_customer.name_revealed)
        try:
            with transaction.atomic():
                # The reveal first: it takes the audit chain's lock before the end customer's row (one lock order).
                contact_services.set_end_customer_name_revealed(
                    acting_user=user, end_customer=end_customer, revealed=revealed
                )
                services.update_end_customer(
                    acting_user=user, end_customer=end_customer, changes=changes, contacts=contacts
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:partner", partner_id=partner_id)
    return render(
        request,
        "web/end_customer_form.html",
        {"partner": end_customer.partner, "end_customer": end_customer, "form": form, "formset": formset},
    )


@login_required
def users(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role not in (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN):
        raise PermissionDenied(_("Your role does not allow this action."))
    query = request.GET.get("q", "").strip()
    queryset = selectors.users_visible_to(user)
    if query:
        queryset = queryset.filter(email__icontains=query)
    page = _page(request, queryset.select_related("partner", "disabled_by"))
    vendor_roles, partner_roles = role_choices(partner_side=False), role_choices(partner_side=True)
    rows = [
        (u, services.may_enable(acting_user=user, user=u), partner_roles if u.partner_id else vendor_roles)
        for u in page
    ]
    return render(request, "web/users.html", {"page": page, "rows": rows, "q": query})


@login_required
@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _user(request)
    target = selectors.get_visible_or_404(selectors.users_visible_to(user), user_id, user=user)
    active = request.POST.get("is_active") == "1"
    try:
        services.set_user_active(acting_user=user, user=target, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("User enabled.") if active else _("User disabled; sessions and tokens ended."))
    return redirect("web:users")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 for page input that cannot be valid; our own refusals name the field (German or English)."""
    message = str(exception) if isinstance(exception, BadRequest) and str(exception) else ""
    return render(
        request,
        "web/400.html",
        {"message": message or _("The request could not be understood.")},
        status=400,
    )


def _error_page(request: HttpRequest, status: int, title: str, message: str, api_detail: str = "") -> HttpResponse:
    """A refusal with the site's navigation, in the user's language; under /api/ the API's error body."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": api_detail or message, "errors": []}, status=status)
    return render(request, "web/error_page.html", {"title": title, "message": message}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: what does not exist and what the user may not see look the same (R1.1)."""
    return _error_page(request, 404, _("Not found"), _("This page does not exist, or it is not yours to see."))


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if isinstance(exception, PermissionDenied) and str(exception) else ""
    return _error_page(request, 403, _("Not allowed"), message or _("Your role does not allow this action."))


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the request id goes back to the client (the error itself is logged by django.request).

    Renders without the request's context processors: they may touch whatever just failed.
    """
    request_id = getattr(request, "request_id", "")
    if request.path.startswith("/api/"):
        detail = _("Server error. The error has been logged; quote the request id when you report it.")
        return JsonResponse({"detail": detail, "errors": [], "request_id": request_id}, status=500)
    html = loader.get_template("500.html").render(
        {"request_id": request_id, "LANGUAGE_CODE": translation.get_language()}
    )
    return HttpResponseServerError(html)


# --- inviting users, roles, passwords (R1.1, R1.5) ------------------------------------------------


def _base_url(request: HttpRequest) -> str:
    """Where set-password links point when PARTNERDESK_BASE_URL is not set: this request's own host."""
    return request.build_absolute_uri("/")


def _manages_users(user: User) -> None:
    if user.role not in (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN):
        raise PermissionDenied(_("Your role does not allow this action."))


@login_required
def user_invite(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _manages_users(user)
    partner_admin = user.role == Role.PARTNER_ADMIN
    form = InviteForm(request.POST or None, partner_admin=partner_admin)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        partner = user.partner if partner_admin else data.get("partner")
        try:
            invited = user_invitations.invite_user(
                acting_user=user,
                email=data["email"],
                role=data["role"],
                partner=partner,
                full_name=data["full_name"],
                language=data["language"],
                base_url=_base_url(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invited.email})
            return redirect("web:users")
    return render(request, "web/user_invite.html", {"form": form})


@login_required
@require_POST
def user_role(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _user(request)
    target = selectors.get_visible_or_404(selectors.users_visible_to(user), user_id, user=user)
    _manages_users(user)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("web:users")
    try:
        services.set_user_role(acting_user=user, user=target, role=form.cleaned_data["role"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Role of %(email)s changed.") % {"email": target.email})
    return redirect("web:users")


@login_required
@require_POST
def user_resend_invitation(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _user(request)
    target = selectors.get_visible_or_404(selectors.users_visible_to(user), user_id, user=user)
    _manages_users(user)
    try:
        user_invitations.resend_invitation(acting_user=user, user=target, base_url=_base_url(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": target.email})
    return redirect("web:users")


def password_forgot(request: HttpRequest) -> HttpResponse:
    """Ask for a set-password link; the answer is the same whether the address has an account or not."""
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_invitations.request_password_reset(email=form.cleaned_data["email"], base_url=_base_url(request))
        messages.info(
            request,
            _("If an active account uses this address, a link to set a new password is on its way."),
        )
        return redirect("web:login")
    return render(request, "web/password_forgot.html", {"form": form})


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The link of an invitation or reset mail: choose a password (the link works once)."""

    template_name = "web/password_set.html"
    success_url = reverse_lazy("web:login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.log_security_event(event=SecurityEvent.PASSWORD_SET, user=form.user, detail=f"user {form.user.pk}")
        messages.success(self.request, _("Your password is set. Log in with it now."))
        return response


@login_required
def partner_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role not in (Role.VENDOR_ADMIN, Role.SALES):
        raise PermissionDenied(_("Your role does not allow this action."))
    form = PartnerOnboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        admin = {k: data.pop(k) for k in ("admin_email", "admin_name", "admin_language")}
        try:
            partner, _admin = user_invitations.onboard_partner(
                acting_user=user, base_url=_base_url(request), **admin, **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Partner %(name)s created; the invitation went to %(email)s.")
                % {"name": partner.name, "email": admin["admin_email"]},
            )
            return redirect("web:partner", partner_id=partner.pk)
    return render(request, "web/partner_create.html", {"form": form})


# --- two-factor sign-in (R1.5) ---------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or "/"
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if ok else "/"


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: the current code from the authenticator app."""
    from django_otp import login as otp_login

    user = _user(request)
    if two_factor.confirmed_device(user) is None:
        return redirect(_safe_next(request))
    error = ""
    if request.method == "POST":
        device = two_factor.verify(user, request.POST.get("otp_token", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        error = _("The code does not match. Enter the current code from the app.")
    return render(request, "web/two_factor_verify.html", {"error": error, "next": _safe_next(request)})


def _owes_code(request: HttpRequest) -> HttpResponse | None:
    """A session signed in by password only, for a user with an app: it must give its code first (the setup,
    turning it off and the vendor's requirement are open to it otherwise, which would bypass the code)."""
    user = _user(request)
    if two_factor.confirmed_device(user) is not None and not user.is_verified():  # type: ignore[attr-defined]
        from django.utils.http import urlencode

        return redirect(f"{reverse('web:two_factor_verify')}?{urlencode({'next': request.get_full_path()})}")
    return None


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: its secret and link, then its first code confirms it."""
    from base64 import b32encode

    from django_otp import login as otp_login

    if (owed := _owes_code(request)) is not None:
        return owed
    user = _user(request)
    errors: list[str] = []
    if request.method == "POST" and request.POST.get("action") == "confirm":
        try:
            device = two_factor.confirm_setup(user, request.POST.get("otp_token", ""))
        except ValidationError as error:
            errors = error.messages
        else:
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is on: from now on you sign in with a code too."))
            return redirect(_safe_next(request) if request.POST.get("next") else "web:profile")
    device = two_factor.pending_device(user)
    if device is None or (request.method == "POST" and request.POST.get("action") == "restart"):
        device = two_factor.start_setup(user)
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "web/two_factor_setup.html",
        {
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "config_url": device.config_url,
            "errors": errors,
            "required": two_factor.required_for(user),
            "has_device": two_factor.confirmed_device(user) is not None,
            "next": request.GET.get("next") or request.POST.get("next", ""),
        },
    )


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if (owed := _owes_code(request)) is not None:
        return owed
    user = _user(request)
    try:
        two_factor.disable(user, request.POST.get("otp_token", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("web:profile")


@login_required
@require_POST
def two_factor_requirement(request: HttpRequest) -> HttpResponse:
    """A vendor admin requires two-factor sign-in of all vendor staff, or stops requiring it."""
    if (owed := _owes_code(request)) is not None:
        return owed
    user = _user(request)
    required = request.POST.get("required") == "1"
    if required and two_factor.confirmed_device(user) is None:
        messages.error(request, _("Add an authenticator app to your own account first."))
        return redirect("web:profile")
    two_factor.set_required(acting_user=user, required=required)
    messages.success(
        request,
        _("Vendor staff now sign in with a code too.") if required else _("Two-factor sign-in is optional again."),
    )
    return redirect("web:profile")
