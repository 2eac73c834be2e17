from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import EndCustomer
from partnerdesk.web.params import ObjectChoiceField

from .choices import CAPTURE_FIELDS, HandBackReason, MessageKind
from .models import Ticket


class CaptureForm(forms.ModelForm):
    """The capture of R5.2; which fields are required is checked at escalation, not here."""

    class Meta:
        model = Ticket
        fields = ["subject", *CAPTURE_FIELDS]
        widgets = {
            f: forms.Textarea(attrs={"rows": 3})
            for f in CAPTURE_FIELDS
            if f not in ("product", "product_version", "category")
        }


class TicketCreateForm(CaptureForm):
    end_customer = ObjectChoiceField(label=_("End customer"), queryset=EndCustomer.objects.none())

    class Meta(CaptureForm.Meta):
        fields = ["end_customer", "subject", *CAPTURE_FIELDS]

    def __init__(self, *args: Any, end_customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["end_customer"].queryset = end_customers


class MessageForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MessageKind.choices)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=100_000)

    def __init__(self, *args: Any, kinds: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, label) for k, label in MessageKind.choices if k in kinds]


class HandBackForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=HandBackReason.choices)
    message = forms.CharField(label=_("Message to the partner"), widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(label=_("Kind"), choices=MessageKind.choices)
