"""How the temperature app joins the case lifecycle (registered from apps.py): the booking
window of a measurement visit, no temperature case resolved without its signed record, a
heating-quality complaint answered by a measurement (R-501), the re-measurement after the
adjustment work, and the case page's section."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from utilitydesk.cases import hooks
from utilitydesk.cases.hooks import CaseHappened
from utilitydesk.cases.models import Case, Kind

from . import services
from .models import Measurement


def register() -> None:
    hooks.register_action_check("book", check_booking)
    hooks.register_action_check("not_home", check_rebooking)
    hooks.register_action_check("resolve", check_resolution)
    hooks.react(hooks.CaseHook.CREATED, on_created)
    hooks.react(hooks.CaseHook.RESOLVED, on_resolved)
    hooks.register_section(
        hooks.Section("temperature", "temperature/_case_section.html", case_section, 6)
    )


def _check_booking(case: Case, context: Mapping[str, Any], *, rebooking: bool) -> None:
    at = context.get("appointment_at")
    if case.kind != Kind.TEMPERATURE or at is None:
        return
    if case.premises_id is not None:
        # Two visits booked at once for one household must not both take its last slot.
        services.lock_household(case.premises_id)
    problems = services.booking_problems(
        case, at, rebooking=rebooking, policy=services.policy_for(case)
    )
    if problems:
        raise ValidationError({"appointment_at": problems})


def check_booking(case: Case, actor: Any, now: datetime, context: Mapping[str, Any]) -> None:
    _check_booking(case, context, rebooking=False)


def check_rebooking(case: Case, actor: Any, now: datetime, context: Mapping[str, Any]) -> None:
    _check_booking(case, context, rebooking=True)


def check_resolution(case: Case, actor: Any, now: datetime, context: Mapping[str, Any]) -> None:
    """A temperature case is resolved by its signed measurement record, never without."""
    if case.kind != Kind.TEMPERATURE:
        return
    if not Measurement.objects.filter(case=case, valid=True).exists():
        raise ValidationError(
            {
                "signoff": [
                    _(
                        "A temperature case is resolved by its measurement record with the customer's signature: record the measurement."
                    )
                ]
            }
        )


def on_created(happened: CaseHappened) -> None:
    """A complaint given the category heating quality at intake gets its measurement."""
    case = happened.case
    if case.kind != Kind.COMPLAINT or case.premises_id is None:
        return
    if happened.data.get("complaint_category") != "heating_quality":
        return
    services.request_from_complaint(case.number, actor=happened.actor, now=happened.now)


def on_resolved(happened: CaseHappened) -> None:
    if happened.case.attributes.get(services.ADJUSTMENT_FOR):
        services.open_remeasurement(happened.case, actor=happened.actor, now=happened.now)


def case_section(request: Any, case: Case) -> dict[str, Any] | None:
    measurements = list(
        Measurement.objects.filter(case=case).prefetch_related("rooms").order_by("measured_at")
    )
    failed_for = case.attributes.get(services.ADJUSTMENT_FOR)
    remeasures = case.attributes.get(services.REMEASURES)
    requested = []
    offer_request = False
    if case.kind == Kind.COMPLAINT:
        requested = list(services.measurement_cases_for(case).order_by("received_at"))
        offer_request = (
            not requested
            and case.premises_id is not None
            and request.user.has_perm("cases.add_contact")
        )
    if not (measurements or failed_for or remeasures or requested or offer_request):
        return None
    return {
        "temperature_measurements": measurements,
        "temperature_adjustment_for": failed_for,
        "temperature_remeasures": remeasures,
        "temperature_requested": requested,
        "temperature_offer_request": offer_request,
    }
