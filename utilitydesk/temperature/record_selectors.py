"""Reads behind the technician's record pages and the measurement detail (issue 14): which
records a person may open, which subject (an on-site case, a monitoring point) they may
record for, and which thermometers they may choose."""

from datetime import date

from django.db.models import Q, QuerySet

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.cases.models import Case, Kind, Status
from utilitydesk.cases.selectors import available_actions, visible_cases
from utilitydesk.customers.selectors import visible_customers
from utilitydesk.org.selectors import station_scope
from utilitydesk.policy.models import PolicyVersion

from . import selectors, services
from .models import Instrument, Measurement, MonitoringPoint

# The folders the record's files are stored under (registered with privacy.files).
SIGNATURE_FOLDER = "temperature/signatures"
PHOTO_FOLDER = "temperature/photos"


def visible_measurements(user: AnyUser) -> QuerySet[Measurement]:
    """Records the user may open: those the temperature selectors grant (the permission to
    read measurements, within the stations the user sees) and besides the record of any
    case the user may see (the service centre answers the customer from the case page)."""
    if not user.is_authenticated:
        return Measurement.objects.none()
    by_case = Measurement.objects.filter(case__in=visible_cases(user).values("pk"))
    return selectors.visible_measurements(user) | by_case


def measurement_for(user: AnyUser, number: str) -> Measurement | None:
    return (
        visible_measurements(user)
        .select_related(
            "premises__customer",
            "premises__building",
            "station",
            "case",
            "monitoring_point",
            "instrument",
            "technician",
        )
        .prefetch_related("rooms__readings")
        .filter(number=number)
        .first()
    )


def case_to_record(user: AnyUser, number: str) -> Case | None:
    """A temperature case on site that the user may resolve (its technician or a supervisor
    of its unit): the one a record page is opened for."""
    if not user.has_perm("temperature.record_measurement"):
        return None
    case = (
        visible_cases(user)
        .select_related("premises__building", "premises__station", "policy_version", "customer")
        .filter(number=number, kind=Kind.TEMPERATURE)
        .first()
    )
    if case is None or case.status != Status.ON_SITE or case.premises_id is None:
        return None
    if "resolve" not in available_actions(user, case):  # type: ignore[arg-type]
        return None
    return case


def point_to_record(user: AnyUser, point_id: int) -> MonitoringPoint | None:
    """An active monitoring point of the user's stations."""
    if not user.has_perm("temperature.record_measurement"):
        return None
    return (
        MonitoringPoint.objects.select_related("premises__building", "premises__customer")
        .filter(pk=point_id, active=True, premises__customer__in=visible_customers(user))
        .first()
    )


def instruments_for(user: AnyUser, station_id: int | None) -> QuerySet[Instrument]:
    """Thermometers in use that the user may pick: those kept by their stations (for a
    company-wide person, the subject's station) and the company-wide ones."""
    scope = station_scope(user)
    stations = {station_id} if scope is None and station_id is not None else set(scope or ())
    return Instrument.objects.filter(
        Q(station__isnull=True) | Q(station_id__in=stations), active=True
    ).order_by("serial_number")


def instrument_warnings(
    instruments: QuerySet[Instrument], on: date, policy: PolicyVersion
) -> dict[int, str]:
    """Why each thermometer would be refused today (shown beside it), by id."""
    warnings = {}
    for instrument in instruments:
        problem = services.instrument_problem(instrument, on, policy)
        if problem:
            warnings[instrument.pk] = problem
    return warnings
