from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.choices import Language
from partnerdesk.accounts.models import ContactPerson, EndCustomer


class EndCustomerForm(forms.ModelForm):
    class Meta:
        model = EndCustomer
        fields = ["name", "name_revealed", "street", "postal_code", "city", "country", "is_active"]


ContactFormSet = forms.inlineformset_factory(
    EndCustomer, ContactPerson, fields=["name", "email", "phone"], extra=1, can_delete=True, can_delete_extra=False
)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, required=False)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
