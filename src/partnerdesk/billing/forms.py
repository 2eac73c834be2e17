"""Invoicing forms: the vendor's invoice data, a partner's billing data, starting a billing run."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import Partner

from .models import BillingSettings, PartnerBillingProfile


class BillingSettingsForm(forms.ModelForm):
    class Meta:
        model = BillingSettings
        fields = [
            "name",
            "street",
            "postal_code",
            "city",
            "country",
            "vat_id",
            "tax_number",
            "iban",
            "bic",
            "bank_name",
            "payment_terms_days",
            "contact_name",
            "contact_phone",
            "contact_email",
            "electronic_address",
            "series",
        ]


class PartnerBillingForm(forms.ModelForm):
    class Meta:
        model = PartnerBillingProfile
        fields = [
            "legal_name",
            "street",
            "postal_code",
            "city",
            "country",
            "vat_id",
            "buyer_reference",
            "invoice_email",
            "language",
            "wants_xrechnung",
        ]


class BillingRunForm(forms.Form):
    period = forms.RegexField(
        label=_("Period"),
        regex=r"^\d{4}-\d{2}$",
        max_length=7,
        help_text=_("The month to bill, YYYY-MM."),
        error_messages={"invalid": _("Enter a month as YYYY-MM, for example 2026-11.")},
    )
    dry_run = forms.BooleanField(label=_("Dry run (issue nothing, show what would be issued)"), required=False)
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.order_by("name"),
        required=False,
        empty_label=_("All partners"),
        help_text=_("Only this partner: a corrected invoice after a cancellation that released its work."),
    )


class CancelInvoiceForm(forms.Form):
    rebill = forms.BooleanField(
        label=_("Bill the work again: release its time entries and fees to be corrected and invoiced anew"),
        required=False,
    )
