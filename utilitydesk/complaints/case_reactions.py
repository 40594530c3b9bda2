"""How complaints react to cases (registered in apps.py through cases.hooks)."""

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from utilitydesk.cases.hooks import CaseHappened
from utilitydesk.cases.models import Kind
from utilitydesk.org.models import OrgUnit

from .models import Category, Complaint, Level, Responsibility
from .services import classify, may_classify, open_for_case

INTAKE_FIELDS = ("complaint_category", "complaint_level")


def intake_fields(user: Any) -> dict[str, forms.Field]:
    """The service centre and office give a complaint its category and level at intake."""
    if user is None or not may_classify(actor=user):
        return {}
    return {
        "complaint_category": forms.ChoiceField(
            label=gettext_lazy("Complaint category"),
            required=False,
            choices=[("", "—"), *Category.choices],
        ),
        "complaint_level": forms.TypedChoiceField(
            label=gettext_lazy("Complaint level"),
            coerce=int,
            required=False,
            empty_value=None,
            choices=[("", "—"), *Level.choices],
        ),
    }


def on_case_created(happened: CaseHappened) -> None:
    """Every complaint case has its complaint record; a category or level given at intake
    is set through `classify`, with its checks (same transaction: a refusal undoes the
    case)."""
    category = happened.data.get("complaint_category") or ""
    level = happened.data.get("complaint_level")
    case = happened.case
    if case.kind != Kind.COMPLAINT:
        if category or level:
            raise ValidationError({"complaint_category": [_("Only complaints have a category.")]})
        return
    complaint = open_for_case(case)
    if not (category or level):
        return
    if not may_classify(actor=happened.actor):
        raise PermissionDenied(
            _(
                "Only the service centre and the service office set a complaint's category and level."
            )
        )
    if category and category not in Category.values:
        raise ValidationError({"complaint_category": [_("Unknown complaint category.")]})
    if level and level not in Level.values:
        raise ValidationError({"complaint_level": [_("Unknown complaint level.")]})
    classify(
        complaint.pk, category or complaint.category, level or complaint.level, actor=happened.actor
    )


def case_section(request, case) -> dict[str, Any] | None:
    complaint = (
        Complaint.objects.filter(case=case)
        .select_related("source_case", "responsible_unit")
        .first()
    )
    if complaint is None:
        return None
    return {
        "complaint": complaint,
        "complaint_categories": Category.choices,
        "complaint_levels": Level.choices,
        "responsibilities": Responsibility.choices,
        "units": OrgUnit.objects.filter(is_active=True),
    }
