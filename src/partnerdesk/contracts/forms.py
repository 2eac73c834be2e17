"""Forms of the contract pages. They parse input; the services validate the business rules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import EndCustomer, Partner, User
from partnerdesk.web.params import ObjectChoiceField, ObjectMultipleChoiceField

from .choices import MAX_UNIT_MINUTES, RateScope
from .models import Plan
from .services import PLAN_VALUE_INPUTS

TIERS_HELP = _("One rate per line, “from unit: price per unit”, counted from 0; e.g. “0: 37.25” and “4: 32.25”.")


def parse_tiers(text: str) -> list[dict[str, Any]]:
    """``"0: 37.25\\n4: 32.25"`` as rate-tier inputs; raises a form error naming the bad line."""
    tiers = []
    for number, line in enumerate((raw.strip() for raw in text.splitlines()), start=1):
        if not line:
            continue
        from_unit, separator, price = line.partition(":")
        try:
            if not separator:
                raise ValueError
            tiers.append({"from_unit": int(from_unit.strip()), "unit_price": Decimal(price.strip().replace(",", "."))})
        except (ValueError, InvalidOperation):
            raise forms.ValidationError(
                _("Line %(line)s: write “from unit: price”, e.g. “4: 32.25”."), params={"line": number}
            ) from None
    return tiers


def tiers_text(tiers: list[tuple[int, int]]) -> str:
    return "\n".join(f"{from_unit}: {Decimal(cents) / 100:.2f}" for from_unit, cents in tiers)


class PlanValuesFields(forms.Form):
    """The plan values, all optional here; subclasses make some required."""

    fee = forms.DecimalField(
        label=_("Fee per term (EUR, net)"), required=False, min_value=0, decimal_places=2, max_digits=12
    )
    term_months = forms.IntegerField(label=_("Term (months)"), required=False, min_value=1, max_value=120)
    notice_days = forms.IntegerField(label=_("Notice period (days)"), required=False, min_value=0, max_value=3650)
    included_minutes_per_term = forms.IntegerField(
        label=_("Included minutes per term"), required=False, min_value=0, max_value=1_000_000
    )
    unit_minutes = forms.IntegerField(
        label=_("Billing unit (minutes)"), required=False, min_value=1, max_value=MAX_UNIT_MINUTES
    )
    rate_scope = forms.ChoiceField(
        label=_("Rates count units"), required=False, choices=[("", "—"), *RateScope.choices]
    )
    rate_tiers = forms.CharField(
        label=_("Rates per extra unit"), required=False, help_text=TIERS_HELP, widget=forms.Textarea(attrs={"rows": 3})
    )
    minimum_units_per_ticket = forms.IntegerField(
        label=_("Minimum units per ticket"),
        required=False,
        min_value=0,
        max_value=1000,
        help_text=_("4 = the first hour of a ticket is charged in full; 0 = off."),
    )

    first_response_minutes = forms.IntegerField(
        label=_("First-response target (support minutes)"), required=False, min_value=1, max_value=1_000_000
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution target (support minutes)"), required=False, min_value=1, max_value=1_000_000
    )

    # The plan values a form edits: every input but the currency (EUR throughout).
    VALUE_FIELDS = tuple(name for name in PLAN_VALUE_INPUTS if name != "currency")

    def clean_rate_tiers(self) -> list[dict[str, Any]] | None:
        text = self.cleaned_data.get("rate_tiers") or ""
        return parse_tiers(text) if text.strip() else None

    def given_values(self) -> dict[str, Any]:
        """Only the values filled in (an empty field means: the plan's value)."""
        return {
            name: self.cleaned_data[name] for name in self.VALUE_FIELDS if self.cleaned_data.get(name) not in (None, "")
        }


class PlanForm(PlanValuesFields):
    code = forms.CharField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    partner = ObjectChoiceField(
        label=_("Only for partner"),
        required=False,
        queryset=Partner.objects.none(),
        help_text=_("Empty: any partner may get this plan."),
    )
    field_order = ["code", "name", "description", "partner", *PlanValuesFields.VALUE_FIELDS]

    def __init__(self, *args: Any, partners: QuerySet[Partner], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
        self.fields["rate_scope"].required = True
        self.fields["rate_tiers"].required = True
        self.fields["fee"].initial = Decimal("0.00")
        self.fields["unit_minutes"].initial = 15
        self.fields["term_months"].help_text = _("Empty: no fixed term, runs until cancelled.")

    def given_values(self) -> dict[str, Any]:
        values = super().given_values()
        values["term_months"] = self.cleaned_data.get("term_months")  # empty means "no fixed term" here
        return values


class EndCustomerChoices(ObjectMultipleChoiceField):  # type: ignore[type-arg]
    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: EndCustomer) -> str:
        # The vendor sees end customers as pseudonyms unless the partner revealed the name (R1.3).
        if self.user is not None and self.user.is_vendor and not obj.name_revealed:
            return obj.pseudonym
        return f"{obj.pseudonym} {obj.name}"


class ContractForm(PlanValuesFields):
    partner = ObjectChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    plan = ObjectChoiceField(label=_("Plan"), queryset=Plan.objects.none())
    start_date = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    covers_all_end_customers = forms.BooleanField(label=_("Covers all end customers"), required=False, initial=True)
    end_customers = EndCustomerChoices(
        label=_("Covered end customers"),
        required=False,
        queryset=EndCustomer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    activate = forms.BooleanField(label=_("Activate now"), required=False, initial=True)
    reason = forms.CharField(label=_("Note for the history"), required=False, max_length=2000)
    field_order = [
        "partner",
        "plan",
        "start_date",
        "covers_all_end_customers",
        "end_customers",
        *PlanValuesFields.VALUE_FIELDS,
        "activate",
        "reason",
    ]

    def __init__(
        self,
        *args: Any,
        user: User,
        partners: QuerySet[Partner],
        plans: QuerySet[Plan],
        end_customers: QuerySet[EndCustomer],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
        self.fields["end_customers"].queryset = end_customers  # type: ignore[attr-defined]
        self.fields["end_customers"].user = user  # type: ignore[attr-defined]
        for name in self.VALUE_FIELDS:
            self.fields[name].help_text = _("Empty: the plan's value.") + (
                f" {self.fields[name].help_text}" if self.fields[name].help_text else ""
            )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class ContractRequestForm(forms.Form):
    message = forms.CharField(
        label=_("What do you need?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sales will contact you about an individual contract."),
    )
