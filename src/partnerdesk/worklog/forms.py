from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import MAX_ENTRY_MINUTES, Activity

# A date-time input takes and gives ISO values in every language (the browser shows them localised).
ISO_LOCAL_MINUTES = "%Y-%m-%dT%H:%M"


class TimeEntryForm(forms.Form):
    """Vendor staff record work on an escalated ticket (R4.1); local time, minutes as a whole number."""

    started_at = forms.DateTimeField(
        label=_("Start"),
        input_formats=[ISO_LOCAL_MINUTES, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=ISO_LOCAL_MINUTES),
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=MAX_ENTRY_MINUTES)
    activity = forms.ChoiceField(label=_("Activity"), choices=Activity.choices)
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
