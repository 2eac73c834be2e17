from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerdesk.accounts.models import ContactPerson, EndCustomer
from partnerdesk.api.fields import MAX_ID
from partnerdesk.tickets.models import Ticket
from partnerdesk.web.params import ObjectChoiceField, ObjectMultipleChoiceField

from .choices import AppearAs, Channel
from .models import Brand


class AuthorizationForm(forms.Form):
    ticket = ObjectChoiceField(
        label=_("Ticket"),
        queryset=Ticket.objects.none(),
        required=False,
        empty_label=_("All tickets of this end customer"),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    contact_persons = ObjectMultipleChoiceField(
        label=_("Contact persons"), queryset=ContactPerson.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    appear_as = forms.ChoiceField(
        label=_("The vendor appears"), choices=AppearAs.choices, widget=forms.RadioSelect, initial=AppearAs.PARTNER
    )

    def __init__(self, *args: Any, end_customer: EndCustomer, tickets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ticket"].queryset = tickets.filter(end_customer=end_customer)  # type: ignore[attr-defined]
        self.fields["contact_persons"].queryset = end_customer.contacts.order_by("pk")  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault(
                "valid_until", timezone.localtime(timezone.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
            )


class BrandForm(forms.ModelForm):
    logo_upload = forms.FileField(label=_("Logo"), required=False, help_text=_("PNG, JPEG or GIF."))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Brand
        fields = ["name", "sender_name", "sender_email", "signature", "primary_colour", "text_colour", "language"]
        widgets = {
            "primary_colour": forms.TextInput(attrs={"type": "color"}),
            "text_colour": forms.TextInput(attrs={"type": "color"}),
            "signature": forms.Textarea(attrs={"rows": 4}),
        }


class EndCustomerMailForm(forms.Form):
    contact_person = forms.TypedChoiceField(label=pgettext_lazy("mail recipient", "To"), coerce=int)
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}), max_length=100_000)

    def __init__(self, *args: Any, recipients: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_person"].choices = recipients  # type: ignore[attr-defined]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    ticket = forms.IntegerField(label=_("Ticket"), required=False, min_value=1, max_value=MAX_ID)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .choices import AuditAction

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *AuditAction.choices]  # type: ignore[attr-defined]
