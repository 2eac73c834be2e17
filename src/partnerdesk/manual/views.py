"""Manual pages (R8): partners read and search; the vendor's editors write, publish and take back; the
capture's suggestions (htmx); the vendor's deflection figure (R8.3)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.models import User
from partnerdesk.tickets import deflection
from partnerdesk.web.errors import add_service_errors, flash_refusal
from partnerdesk.web.params import object_ids

from . import selectors, services
from .forms import SearchForm, SectionForm
from .models import Section


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _section(request: HttpRequest, section_id: int) -> Section:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.sections_visible_to(user), section_id, user=user)


def _ensure_editor(user: User) -> None:
    if not selectors.may_edit(user):
        raise PermissionDenied(_("Your role does not allow this action."))


@login_required
def manual_index(request: HttpRequest) -> HttpResponse:
    """The manual: searched (ranked, excerpts) or listed by number; filtered by product, version, language."""
    user = _user(request)
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {"q": "", "product": "", "version": "", "language": ""}
    hits: list[selectors.Hit] = []
    sections: Any = []
    if filters["q"].strip():
        hits = selectors.search_sections(
            user, filters["q"], product=filters["product"], version=filters["version"], language=filters["language"]
        )
    else:
        sections = selectors.sections_visible_to(user)
        if filters["product"]:
            sections = sections.filter(product=filters["product"])
        if filters["language"]:
            sections = sections.filter(language=filters["language"])
        if filters["version"]:
            sections = selectors.for_version(sections, filters["version"])
        sections = sections.order_by("product", "language", "sort_key", "version_from_key", "pk")[:500]
    context = {
        "form": form,
        "hits": hits,
        "sections": sections,
        "q": filters["q"],
        "may_edit": selectors.may_edit(user),
    }
    template = "manual/partials/results.html" if getattr(request, "htmx", False) else "manual/index.html"
    return render(request, template, context)


@login_required
def manual_section(request: HttpRequest, section_id: int) -> HttpResponse:
    user = _user(request)
    section = _section(request, section_id)
    return render(request, "manual/section.html", {"section": section, "may_edit": selectors.may_edit(user)})


@login_required
def manual_section_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _ensure_editor(user)
    form = SectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            section = services.create_section(acting_user=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Section saved as a draft."))
            return redirect("web:manual_section", section_id=section.pk)
    return render(request, "manual/section_form.html", {"form": form, "section": None})


@login_required
def manual_section_edit(request: HttpRequest, section_id: int) -> HttpResponse:
    user = _user(request)
    section = _section(request, section_id)
    _ensure_editor(user)
    form = SectionForm(request.POST or None, instance=section)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_section(
                acting_user=user, section=section, changes={k: form.cleaned_data[k] for k in form.changed_data}
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Section saved."))
            return redirect("web:manual_section", section_id=section.pk)
    return render(request, "manual/section_form.html", {"form": form, "section": section})


@login_required
@require_POST
def manual_section_publish(request: HttpRequest, section_id: int) -> HttpResponse:
    """Publish (`publish=1`) or take back to draft (anything else)."""
    section = _section(request, section_id)
    publish = request.POST.get("publish") == "1"
    try:
        services.set_published(acting_user=_user(request), section=section, published=publish)
    except PermissionDenied as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Section published.") if publish else _("Section taken back to draft."))
    return redirect("web:manual_section", section_id=section.pk)


@login_required
def manual_suggestions(request: HttpRequest) -> HttpResponse:
    """The capture's suggestions (htmx, R8.2): the sections ticked so far stay, the best matches for
    the text typed so far follow. Reads the capture form's fields from the query string."""
    user = _user(request)
    ticked = selectors.sections_by_ids(user, object_ids(request.GET.getlist("manual_section_ids")), published_only=True)
    hits = selectors.suggest_sections(
        user,
        request.GET,
        product=request.GET.get("product", "")[:100],
        version=request.GET.get("product_version", "")[:50],
        limit=5,
    )
    ticked_ids = {s.pk for s in ticked}
    suggested = [hit for hit in hits if hit.section.pk not in ticked_ids]
    return render(request, "manual/partials/suggestions.html", {"ticked": ticked, "suggested": suggested})


def _period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.localdate()
    start = parse_date(request.GET.get("from") or "") if _is_date(request.GET.get("from")) else None
    end = parse_date(request.GET.get("to") or "") if _is_date(request.GET.get("to")) else None
    end = end or today
    start = start or end - timedelta(days=89)
    if start > end:
        start, end = end, start
    return start, end


def _is_date(value: str | None) -> bool:
    try:
        return bool(value) and parse_date(value or "") is not None
    except ValueError:
        return False


@login_required
def manual_deflection(request: HttpRequest) -> HttpResponse:
    """The vendor's figure (partners: their own): tickets solved at first level with the manual (R8.3)."""
    start, end = _period(request)
    figures = deflection.manual_deflection(_user(request), start=start, end=end)
    return render(request, "manual/deflection.html", {"figures": figures})
