"""R9.1, R9.4: the Django admin offers no way around the contact gate. A vendor superuser finds no end
customer, contact person, ticket, authorisation or audit row there (404), and no admin page it can open shows
contact data or an unrevealed end-customer name."""

from __future__ import annotations

from django.contrib import admin
from django.test import Client
from django.urls import reverse

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ContactPerson, EndCustomer
from partnerdesk.contact.models import AuditEntry, ContactAuthorization, EndCustomerMail
from partnerdesk.tickets.models import Attachment, Message, Ticket, TicketTransition

from .test_leaks import _text, build_leak_world, contact_markers

HIDDEN = [EndCustomer, ContactPerson, Ticket, Message, Attachment, TicketTransition, ContactAuthorization, AuditEntry]


def _superuser_client(world):
    admin_user = world.user(Role.VENDOR_ADMIN)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(admin_user)
    return admin_user, client


def test_r9_1_the_admin_does_not_offer_models_with_contact_data(world, django_capture_on_commit_callbacks):
    build_leak_world(world, django_capture_on_commit_callbacks)
    _, client = _superuser_client(world)
    for model in [*HIDDEN, EndCustomerMail]:
        assert model not in admin.site._registry, model.__name__
        meta = model._meta
        assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/").status_code == 404
        pk = model._default_manager.values_list("pk", flat=True).first()
        if pk is not None:
            assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/{pk}/change/").status_code == 404


def test_r9_1_no_admin_page_shows_contact_data_to_a_vendor_superuser(world, django_capture_on_commit_callbacks):
    build_leak_world(world, django_capture_on_commit_callbacks)
    admin_user, client = _superuser_client(world)
    markers = contact_markers(admin_user)
    assert "henrike sørensen" in markers
    urls = [reverse("admin:index")]
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        for pk in model._default_manager.values_list("pk", flat=True)[:3]:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]))
    findings = []
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        text = _text(response)
        findings += [f"{url}: shows {m!r}" for m in markers if m in text]
    assert findings == [], "\n".join(findings)
    assert len(urls) > 10
