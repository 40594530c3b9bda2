"""KPIs over the API (docs/kpis.md, docs/api.md): a unit's or a person's figures for a
period with their targets, and the rows behind one figure, from the same selectors as the
pages."""

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from . import links, selectors
from . import rows as listing
from .definitions import KPI_CHOICES, KPIS, Direction
from .views import BadQuery, read_period, read_subject

COLOURS = ["green", "amber", "red", "grey"]


class FigureSerializer(serializers.Serializer):
    kpi = serializers.ChoiceField(choices=KPI_CHOICES)
    kpi_label = serializers.CharField()
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    value = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text="numerator / denominator"
    )
    target = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    direction = serializers.ChoiceField(
        choices=[(d.value, d.value) for d in Direction],
        help_text="at_least: the figure must reach the target; at_most: stay under it.",
    )
    colour = serializers.ChoiceField(choices=[(c, c) for c in COLOURS])
    numerator_rows = serializers.CharField(help_text="The API list of the numerator's rows.")
    denominator_rows = serializers.CharField()


class FiguresSerializer(serializers.Serializer):
    unit = serializers.IntegerField(allow_null=True)
    person = serializers.IntegerField(allow_null=True)
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="The last day of the period.")
    counted_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Days before this moment's count are read from the daily counts; null: "
        "every row was counted now.",
    )
    figures = FigureSerializer(many=True)


class RowSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField(help_text="case, callback, complaint, contact, …")
    values = serializers.DictField(child=serializers.CharField())


class RowsPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RowSerializer(many=True)


SUBJECT_PARAMETERS = [
    OpenApiParameter("unit", int, description="A unit's id (the units under it included)."),
    OpenApiParameter("person", int, description="A person's id (instead of a unit)."),
    OpenApiParameter(
        "period",
        str,
        description="2026-11-24, 2026-W48, 2026-11, 2026-Q4 or 2026-S; the current month when absent.",
    ),
]


def _subject(request: Any) -> tuple[Any, Any, Any]:
    try:
        unit, person = read_subject(request.user, request.query_params)
    except BadQuery as error:
        raise ValidationError({"unit": [str(error)]}) from error
    try:
        period = read_period(request.query_params, now=timezone.now())
    except BadQuery as error:
        raise ValidationError({"period": [str(error)]}) from error
    return unit, person, period


def _api_rows_url(request: Any, **arguments: Any) -> str:
    """The API list of a figure's rows (the query of its drill-down page)."""
    return request.build_absolute_uri(reverse("v1:kpi-rows") + "?" + links.rows_query(**arguments))


class KpiFiguresView(APIView):
    """The KPIs of a unit or a person for a period, each with its target and colour."""

    @extend_schema(
        parameters=[
            *SUBJECT_PARAMETERS,
            OpenApiParameter(
                "kpi", str, many=True, enum=list(KPIS), description="Only these KPIs (repeatable)."
            ),
        ],
        responses={200: FiguresSerializer},
    )
    def get(self, request, version=None):
        unit, person, period = _subject(request)
        codes = request.query_params.getlist("kpi") or None
        unknown = [code for code in codes or [] if code not in KPIS]
        if unknown:
            raise ValidationError({"kpi": [f"Unknown KPI: {', '.join(unknown)}."]})
        figures = selectors.figures(
            request.user, period.start, period.end, unit=unit, person=person, codes=codes
        )
        return Response(
            FiguresSerializer(
                {
                    "unit": unit.pk if unit else None,
                    "person": person.pk if person else None,
                    "period": period.code,
                    "start": period.first,
                    "end": period.last,
                    "counted_at": selectors.counted_at(figures),
                    "figures": [
                        {
                            "kpi": f.kpi.code,
                            "kpi_label": str(f.kpi.label),
                            "numerator": f.numerator,
                            "denominator": f.denominator,
                            "value": f.value,
                            "target": f.target,
                            "direction": f.kpi.direction.value,
                            "colour": f.colour,
                            **{
                                f"{part}_rows": _api_rows_url(
                                    request,
                                    period=period,
                                    unit=unit,
                                    person=person,
                                    kpi=f.kpi.code,
                                    part=part,
                                )
                                for part in selectors.PARTS
                            },
                        }
                        for f in figures
                    ],
                }
            ).data
        )


class KpiRowsView(APIView):
    """The rows a figure counted (its numerator's or its denominator's), 50 to a page: the
    same selector computes the figure, so the count is the figure."""

    @extend_schema(
        parameters=[
            *SUBJECT_PARAMETERS,
            OpenApiParameter("kpi", str, required=True, enum=list(KPIS)),
            OpenApiParameter(
                "part", str, enum=list(selectors.PARTS), description="numerator by default"
            ),
            OpenApiParameter("page", int),
        ],
        responses={200: RowsPageSerializer},
    )
    def get(self, request, version=None):
        unit, person, period = _subject(request)
        code = request.query_params.get("kpi", "")
        part = request.query_params.get("part", selectors.NUMERATOR)
        errors: dict[str, list[str]] = {}
        if code not in KPIS:
            errors["kpi"] = [f"One of: {', '.join(KPIS)}."]
        if part not in selectors.PARTS:
            errors["part"] = ["numerator or denominator."]
        if errors:
            raise ValidationError(errors)
        kind = selectors.source_of(KPIS[code], part).list_kind
        found = listing.for_listing(
            kind,
            selectors.kpi_rows(
                request.user, code, part, period.start, period.end, unit=unit, person=person
            ),
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(found, request, view=self) or []
        return paginator.get_paginated_response(
            [
                {"id": str(row.pk), "kind": kind.value, "values": listing.as_dict(kind, row)}
                for row in page
            ]
        )
