"""The links a KPI figure or count opens: its drill-down list (`/kpis/rows/`, and the same
query on `/api/v1/kpis/cases/`) and the KPI page of a unit or person. One place, for the
KPI pages, the API and the dashboards."""

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from utilitydesk.org.models import OrgUnit

from .periods import Period
from .selectors import DENOMINATOR, NUMERATOR, Figure


def _subject(unit: OrgUnit | None, person: Any | None) -> dict[str, str]:
    query: dict[str, str] = {}
    if unit is not None:
        query["unit"] = str(unit.pk)
    if person is not None:
        query["person"] = str(person.pk)
    return query


def rows_query(
    *,
    period: Period,
    unit: OrgUnit | None = None,
    person: Any | None = None,
    kpi: str | None = None,
    part: str = NUMERATOR,
    measure: str | None = None,
) -> str:
    """The query of the rows behind a figure (``kpi`` and ``part``) or a count (``measure``)."""
    query: dict[str, str] = {"period": period.code}
    if kpi:
        query |= {"kpi": kpi, "part": part}
    if measure:
        query["measure"] = measure
    return urlencode(query | _subject(unit, person))


def rows_url(**arguments: Any) -> str:
    """The drill-down page of a figure or count (``rows_query``'s arguments)."""
    return reverse("kpis:rows") + "?" + rows_query(**arguments)


def overview_url(*, period: Period, unit: OrgUnit | None = None, person: Any | None = None) -> str:
    """The KPI page of a unit or person for the period."""
    return (
        reverse("kpis:overview") + "?" + urlencode({"period": period.code} | _subject(unit, person))
    )


def figure_lines(
    figures: list[Figure], *, period: Period, unit: OrgUnit | None = None, person: Any = None
) -> list[dict[str, Any]]:
    """Each figure with the links of its numerator's and denominator's rows."""
    return [
        {
            "figure": figure,
            "numerator_url": rows_url(period=period, unit=unit, person=person, kpi=figure.kpi.code),
            "denominator_url": rows_url(
                period=period, unit=unit, person=person, kpi=figure.kpi.code, part=DENOMINATOR
            ),
        }
        for figure in figures
    ]
