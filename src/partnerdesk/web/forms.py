from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.choices import PARTNER_ROLES, VENDOR_ROLES, Language, Role
from partnerdesk.accounts.models import ContactPerson, EndCustomer, Partner


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


def role_choices(*, partner_side: bool) -> list[tuple[str, str]]:
    """The roles of one side, in the order of the role list."""
    allowed = PARTNER_ROLES if partner_side else VENDOR_ROLES
    return [(value, label) for value, label in Role.choices if value in allowed]


class InviteForm(forms.Form):
    """Invite a user by e-mail: a vendor admin for either side, a partner admin for its own partner."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"))
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("Vendor staff"),
        help_text=_("Leave empty for a member of the vendor's staff."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, required=False)

    def __init__(self, *args: object, partner_admin: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if partner_admin:
            del self.fields["partner"]
            self.fields["role"].choices = role_choices(partner_side=True)
        else:
            self.fields["role"].choices = role_choices(partner_side=False) + role_choices(partner_side=True)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)


class PartnerOnboardForm(forms.ModelForm):
    """A new partner with its first partner admin (vendor admin, Sales)."""

    admin_email = forms.EmailField(label=_("E-mail of the first partner admin"), max_length=254)
    admin_name = forms.CharField(label=_("Name of the first partner admin"), max_length=200, required=False)
    admin_language = forms.ChoiceField(label=_("Language"), choices=Language.choices, required=False)

    class Meta:
        model = Partner
        fields = ["name", "street", "postal_code", "city", "country", "vat_id", "email"]
