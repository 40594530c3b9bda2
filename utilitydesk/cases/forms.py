from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utilitydesk.org.models import OrgUnit

from .models import Channel, Kind, Status


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


MAX_ID = 2**63 - 1


class DateTimeField(forms.DateTimeField):
    """A time in years 2000 to 2100: year 1 or 99999 parse, but no database column and no
    time-zone conversion takes them (a form error instead of a server error)."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not 2000 <= result.year <= 2100:
            raise forms.ValidationError(_("Give a time between the years 2000 and 2100."))
        return result


class UnitsField(forms.ModelMultipleChoiceField):
    """Unit ids are checked to be ids before the database is asked about them."""

    def _check_values(self, value):
        for pk in value:
            if not (str(pk).isdecimal() and int(pk) <= MAX_ID):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class IntakeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Kind.choices, widget=forms.Select(attrs={"autofocus": True})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    content = forms.CharField(
        label=_("What the customer says"), widget=forms.Textarea(attrs={"rows": 4})
    )
    received_at = DateTimeField(
        label=_("Received at"),
        widget=DateTimeLocalInput(),
        required=False,
        help_text=_("Leave empty for now. Letters and 12345 transfers may be back-dated."),
    )
    premises = forms.TypedChoiceField(
        label=_("Premises"), coerce=int, required=False, empty_value=None
    )
    caller_name = forms.CharField(label=_("Caller name"), max_length=100, required=False)
    caller_phone = forms.CharField(label=_("Caller phone"), max_length=32, required=False)
    emergency = forms.BooleanField(label=_("Emergency (affects supply or safety)"), required=False)
    answer = forms.CharField(
        label=_("Answer given on the spot"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Fill in only when the question is answered now; the contact is then closed."),
    )
    knowledge_entry_id = forms.IntegerField(required=False, widget=forms.HiddenInput())
    allow_duplicate = forms.BooleanField(label=_("Create a new case anyway"), required=False)

    def __init__(self, *args, customer=None, offer_duplicate=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        if not offer_duplicate:
            self.fields["allow_duplicate"].widget = forms.HiddenInput()
        if customer is not None:
            choices = [(p.pk, p.address_text) for p in customer.premises.all()]
            self.fields["premises"].choices = choices
            del self.fields["caller_name"]
            del self.fields["caller_phone"]
        else:
            del self.fields["premises"]
            self.fields["caller_name"].required = True
            self.fields["caller_phone"].required = True


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput(), required=False)


class DispatchForm(NoteForm):
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.filter(is_active=True),
        required=False,
        empty_label=_("By the routing rules"),
    )


class BookForm(NoteForm):
    appointment_at = DateTimeField(label=_("Appointment"), widget=DateTimeLocalInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            soon = timezone.localtime() + timezone.timedelta(hours=2)
            self.fields["appointment_at"].initial = soon.replace(minute=0, second=0, microsecond=0)


class AssignForm(NoteForm):
    assignee = forms.TypedChoiceField(label=_("Technician"), coerce=int)


class ResolveForm(NoteForm):
    work_done = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.CharField(
        label=_("Materials"),
        required=False,
        help_text=_("One per line: name, quantity, unit — e.g. 阀门,1,个"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    customer_side_fault = forms.BooleanField(
        label=_("The fault is inside the home"), required=False
    )
    explanation = forms.CharField(
        label=_("Written explanation to the customer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    paid_service_handover = forms.BooleanField(label=_("Hand over to paid service"), required=False)
    customer_consents_to_paid_service = forms.BooleanField(
        label=_("The customer agrees to paid service"), required=False
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput())

    def clean_materials(self):
        items = []
        for line in (self.cleaned_data.get("materials") or "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            items.append(
                {
                    "name": parts[0],
                    "quantity": parts[1] if len(parts) > 1 else 1,
                    "unit": parts[2] if len(parts) > 2 else "",
                }
            )
        return items


class CodeForm(NoteForm):
    code = forms.CharField(label=_("Code read out by the customer"), max_length=10)


class ReplyForm(forms.Form):
    """A standard phrase (服务用语), or free text checked for forbidden phrases."""

    phrase_id = forms.TypedChoiceField(
        label=_("Standard phrase"), coerce=int, required=False, empty_value=None
    )
    text = forms.CharField(
        label=_("Message to the customer (SMS)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from utilitydesk.knowledge.selectors import standard_phrases

        self.fields["phrase_id"].choices = [("", _("Free text"))] + [
            (p.pk, f"{p.situation}：{p.text[:40]}") for p in standard_phrases()
        ]

    def clean(self):
        data = super().clean()
        if not data.get("phrase_id") and not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Choose a standard phrase or write the message."))
        return data


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Case number, phone, account or address")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *Status.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Kind.choices], required=False
    )
    open_only = forms.BooleanField(label=_("Open only"), required=False)
    emergency_only = forms.BooleanField(label=_("Emergencies only"), required=False)


class FaultForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    occurred_at = DateTimeField(label=_("Time"), widget=DateTimeLocalInput())
    place = forms.CharField(label=_("Place"), max_length=200)
    symptoms = forms.CharField(label=_("Symptoms"), widget=forms.Textarea(attrs={"rows": 2}))
    response_plan = forms.CharField(
        label=_("Response plan"), widget=forms.Textarea(attrs={"rows": 2})
    )
    units = UnitsField(
        label=_("Responsible units to notify"), queryset=OrgUnit.objects.filter(is_active=True)
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .selectors import fault_units_of

        own_units = fault_units_of(user) if user is not None else None
        if own_units is not None:
            self.fields["units"].queryset = OrgUnit.objects.filter(is_active=True, pk__in=own_units)


class FaultAnalysisForm(forms.Form):
    impact = forms.CharField(label=_("Impact"), widget=forms.Textarea(attrs={"rows": 2}))
    handling = forms.CharField(label=_("Handling"), widget=forms.Textarea(attrs={"rows": 2}))
    root_cause = forms.CharField(label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 2}))
    corrective_actions = forms.CharField(
        label=_("Corrective actions"), widget=forms.Textarea(attrs={"rows": 2})
    )
    preventive_actions = forms.CharField(
        label=_("Preventive actions"), widget=forms.Textarea(attrs={"rows": 2})
    )
