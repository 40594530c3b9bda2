from typing import cast

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utilitydesk.area.models import Building, Community, District, Substation
from utilitydesk.customers.models import Grade, Premises
from utilitydesk.knowledge.selectors import standard_phrases
from utilitydesk.org.models import DepartmentFunction, OrgUnit, UnitKind

from .hooks import intake_fields
from .models import CONTACT_CHANNELS, Channel, Kind, RoutingRule, Status
from .routing import RULE_FIELDS
from .selectors import unit_groups


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


def _chosen_id(form, name: str) -> int | None:
    raw = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
    raw = str(raw or "")
    return int(raw) if raw.isdecimal() and int(raw) <= MAX_ID else None


class AreaPickerForm(forms.Form):
    """The service-area picker: district › community › building, then the entrance (单元)
    and room typed. Each select narrows the next (htmx reloads the picker on change);
    without a district the building still resolves its community and district."""

    PICKER_FIELDS = ("district", "community", "building", "unit_no", "room_no")

    district = forms.TypedChoiceField(
        label=_("District"), coerce=int, required=False, empty_value=None
    )
    community = forms.TypedChoiceField(
        label=_("Community"), coerce=int, required=False, empty_value=None
    )
    building = forms.TypedChoiceField(
        label=_("Building"), coerce=int, required=False, empty_value=None
    )
    unit_no = forms.CharField(label=_("Entrance (unit)"), max_length=16, required=False)
    room_no = forms.CharField(label=_("Room"), max_length=16, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_picker()

    def setup_picker(self) -> None:

        for name in ("district", "community", "building"):
            self.fields[name].widget.attrs["hx-get"] = reverse("cases:area")

        district_id = _chosen_id(self, "district")
        community_id = _chosen_id(self, "community")
        building_id = _chosen_id(self, "building")
        building = (
            Building.objects.filter(pk=building_id).select_related("community").first()
            if building_id
            else None
        )
        if building is not None and community_id in (None, building.community_id):
            community_id = building.community_id
            district_id = district_id or building.community.district_id
        community = (
            Community.objects.filter(pk=community_id).only("pk", "district_id").first()
            if community_id
            else None
        )
        if community is not None and district_id in (None, community.district_id):
            district_id = community.district_id
        elif community is not None:
            community = None  # another district was chosen meanwhile
        blank = [("", "—")]
        cast(forms.ChoiceField, self.fields["district"]).choices = blank + list(
            District.objects.order_by("name").values_list("pk", "name")
        )
        cast(forms.ChoiceField, self.fields["community"]).choices = blank + (
            list(
                Community.objects.filter(district_id=district_id)
                .order_by("name")
                .values_list("pk", "name")
            )
            if district_id
            else []
        )
        cast(forms.ChoiceField, self.fields["building"]).choices = blank + (
            list(
                Building.objects.filter(community_id=community.pk)
                .order_by("name")
                .values_list("pk", "name")
            )
            if community is not None
            else []
        )
        self.picked = {
            "district": district_id,
            "community": community.pk if community is not None else None,
            "building": building.pk
            if building is not None and community and building.community_id == community.pk
            else None,
        }
        if not self.is_bound:
            self.initial.update({k: v for k, v in self.picked.items() if v})
        else:
            # Shown as chosen even when the posted value was an id of the wrong level.
            data = cast(QueryDict, self.data).copy()
            for name, value in self.picked.items():
                data[self.add_prefix(name)] = "" if value is None else str(value)
            self.data = data
        self.known_entrances = (
            sorted(
                {
                    u
                    for u in Premises.objects.filter(building_id=self.picked["building"])
                    .values_list("unit_no", flat=True)
                    .distinct()[:50]
                    if u
                }
            )
            if self.picked["building"]
            else []
        )


class IntakeForm(AreaPickerForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Kind.choices, widget=forms.Select(attrs={"autofocus": True})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=CONTACT_CHANNELS, initial=Channel.PHONE)
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

    field_order = [
        "kind",
        "channel",
        "content",
        "received_at",
        "premises",
        "caller_name",
        "caller_phone",
        *AreaPickerForm.PICKER_FIELDS,
        "emergency",
        "answer",
        "knowledge_entry_id",
    ]

    def __init__(self, *args, customer=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        premises = list(customer.premises.all()) if customer is not None else []
        if customer is not None:
            self.fields["premises"].choices = [(p.pk, p.address_text) for p in premises]
            del self.fields["caller_name"]
            del self.fields["caller_phone"]
        else:
            del self.fields["premises"]
            self.fields["caller_name"].required = True
            self.fields["caller_phone"].required = True
        if premises:
            # A customer may call about a place not on record (a relative's flat, the
            # stairwell): "another place" and the picker below.
            self.fields["premises"].choices += [("", _("Another place (pick it below)"))]
            self.fields["premises"].initial = premises[0].pk
        # Fields other apps add to intake (cases.hooks), placed before "emergency"; their
        # values go to those apps' reactions when the case is created.
        self.reaction_fields = intake_fields(user) if user is not None else {}
        self.fields.update(self.reaction_fields)
        order = [n for n in self.field_order if n in self.fields]
        at = order.index("emergency") if "emergency" in order else len(order)
        self.order_fields([*order[:at], *self.reaction_fields, *order[at:]])

    def reaction_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.reaction_fields}

    def clean(self):
        data = super().clean()
        if data.get("room_no") and not data.get("building"):
            self.add_error("building", _("Choose the building of this room."))
        if data.get("premises") and data.get("building"):
            self.add_error(
                "premises",
                _(
                    "A building is picked below: choose “another place” here, or clear the building."
                ),
            )
        return data


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput(), required=False)


class DispatchForm(NoteForm):
    """Dispatch or re-dispatch to a station, a team or a department, chosen from a list
    grouped by station (active units only)."""

    unit = forms.ModelChoiceField(
        label=_("Responsible unit / team"),
        queryset=OrgUnit.objects.filter(
            is_active=True, kind__in=[UnitKind.STATION, UnitKind.DEPARTMENT, UnitKind.TEAM]
        ),
        required=False,
        empty_label=_("By the routing rules"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        # Rendered grouped; validated against the queryset above.
        self.fields["unit"].widget.choices = [
            ("", self.fields["unit"].empty_label),
            *unit_groups(),
        ]


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
    unit = forms.TypedChoiceField(
        label=_("Responsible unit / team"), coerce=int, required=False, empty_value=None
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )
    grade = forms.ChoiceField(label=_("Grade"), required=False)
    period = forms.ChoiceField(
        label=_("Received"),
        choices=[
            ("", _("Any time")),
            ("today", _("Today")),
            ("week", _("This week")),
        ],
        required=False,
    )
    received_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    open_only = forms.BooleanField(label=_("Open only"), required=False)
    emergency_only = forms.BooleanField(label=_("Emergencies only"), required=False)
    overdue_only = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["unit"].choices = [("", _("All units")), *unit_groups()]
        self.fields["grade"].choices = [("", _("All grades")), *Grade.choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        for name in ("received_from", "received_to"):
            value = data.get(name)
            if value and not 2000 <= value.year <= 2100:
                self.add_error(name, _("Give a time between the years 2000 and 2100."))
        return data


class RoutingRuleForm(forms.ModelForm):
    """A routing rule (R-302) as the dispatcher and the service office edit it."""

    class Meta:
        model = RoutingRule
        fields = RULE_FIELDS
        labels = {
            "kind": _("Case kind"),
            "station": _("Only for places served by station"),
            "grid": _("Only for places in grid"),
            "target": _("Send to"),
            "target_function": _("Department function"),
            "target_unit": _("Fixed unit / team"),
        }
        help_texts = {
            "priority": _("Smaller numbers are tried first; the first matching rule decides."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["kind"].choices = [("", _("Any kind")), *Kind.choices]
        self.fields["station"].queryset = OrgUnit.objects.filter(
            is_active=True, kind=UnitKind.STATION
        ).order_by("code")
        self.fields["station"].empty_label = _("Any station")
        self.fields["grid"].queryset = (
            self.fields["grid"].queryset.select_related("station").order_by("code")
        )
        self.fields["grid"].empty_label = _("Any grid")
        self.fields["target_function"] = forms.ChoiceField(
            label=_("Department function"),
            choices=[("", "—"), *DepartmentFunction.choices],
            required=False,
        )
        self.fields["target_unit"].queryset = OrgUnit.objects.filter(
            is_active=True, kind__in=[UnitKind.STATION, UnitKind.DEPARTMENT, UnitKind.TEAM]
        )
        self.fields["target_unit"].empty_label = "—"
        self.fields["target_unit"].widget.choices = [("", "—"), *unit_groups()]
        self.fields["priority"].widget.attrs.update({"min": 1, "max": 100000})

    def clean_priority(self):
        value = self.cleaned_data["priority"]
        if value is not None and value > 100000:
            raise forms.ValidationError(_("At most 100000."))
        return value

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == RoutingRule.Target.FUNCTION and not data.get("target_function"):
            self.add_error("target_function", _("Choose the department function."))
        if target == RoutingRule.Target.UNIT and not data.get("target_unit"):
            self.add_error("target_unit", _("Choose the unit."))
        if target != RoutingRule.Target.FUNCTION:
            data["target_function"] = ""
        if target != RoutingRule.Target.UNIT:
            data["target_unit"] = None
        return data


class RoutingPreviewForm(AreaPickerForm):
    """Where would a case go? A building (through the picker) or a substation, and a kind."""

    substation = forms.TypedChoiceField(
        label=_("Or a substation"), coerce=int, required=False, empty_value=None
    )
    kind = forms.ChoiceField(label=_("Case kind"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        del self.fields["unit_no"]
        del self.fields["room_no"]
        self.fields["kind"].choices = [("", _("Every kind")), *Kind.choices]
        self.fields["substation"].choices = [("", "—")] + [
            (s.pk, f"{s.name}（{s.station.name}）")
            for s in Substation.objects.select_related("station").order_by("station__code", "code")
        ]
