from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import MAX_URL_LENGTH, WebhookEvent


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=MAX_URL_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "https://", "inputmode": "url"}),
        help_text=_("An https:// address of your system on the public internet."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
