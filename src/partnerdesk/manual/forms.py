from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import SectionLanguage
from .models import Section


class SectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["product", "number", "title", "language", "version_from", "version_to", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18})}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=500)
    product = forms.CharField(label=_("Product"), required=False, max_length=100)
    version = forms.CharField(label=_("Version"), required=False, max_length=50)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("Both languages")), *SectionLanguage.choices]
    )
