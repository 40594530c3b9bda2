from django import forms
from django.utils.translation import gettext_lazy as _

from .models import COUNTER_CHANNELS, BankFileLayout, Channel, IssueStatus

MAX_BANK_FILE_BYTES = 64 * 1024 * 1024


class AccountForm(forms.Form):
    account = forms.CharField(label=_("Account number"), max_length=32)


class CounterPaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    channel = forms.ChoiceField(
        label=_("Paid by"),
        choices=[(c.value, c.label) for c in Channel if c in COUNTER_CHANNELS],
        initial=Channel.COUNTER_CASH,
    )
    premises = forms.TypedChoiceField(label=_("Premises"), coerce=int, required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, premises=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["premises"].choices = [(p.pk, p.address_text) for p in premises]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20, required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False)


class BankFileForm(forms.Form):
    layout = forms.ModelChoiceField(
        label=_("Bank file layout"),
        queryset=BankFileLayout.objects.filter(active=True),
        to_field_name="code",
    )
    file = forms.FileField(label=_("File"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BANK_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 64 MB."))
        return upload


class ReconcileForm(forms.Form):
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    month = forms.CharField(
        label=_("Month (YYYY-MM)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
    )


class IssueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All"))] + list(IssueStatus.choices),
        required=False,
        initial=IssueStatus.OPEN,
    )


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("How it was resolved"), max_length=2000)


class StatisticsForm(forms.Form):
    month = forms.CharField(
        label=_("Month (YYYY-MM)"), max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )
    by = forms.ChoiceField(
        label=_("Per"),
        choices=[
            ("station", _("Heating station")),
            ("district", _("District")),
            ("customer_type", _("Customer type")),
        ],
        initial="station",
    )
