"""The tariffs shipped with a new installation (R-802, R-806): example values of a
northern city, to be replaced by the company's published prices (admin, then publish)."""

from decimal import Decimal
from typing import Any

D = Decimal
# (customer type, tariff group, method, area price, base price, energy price)
DEFAULT_RATES = [
    ("resident", "", "area", D("25.20"), D("0"), D("0")),
    ("resident", "", "two_part", D("25.20"), D("10.08"), D("48.00")),
    ("resident", "low_income", "area", D("12.60"), D("0"), D("0")),
    ("resident", "subsistence", "area", D("12.60"), D("0"), D("0")),
    ("resident", "reduced", "area", D("20.16"), D("0"), D("0")),
    ("non_resident", "", "area", D("38.00"), D("0"), D("0")),
    ("non_resident", "", "two_part", D("38.00"), D("15.20"), D("60.00")),
    ("commercial", "", "area", D("45.00"), D("0"), D("0")),
    ("commercial", "", "two_part", D("45.00"), D("18.00"), D("68.00")),
]

# R-902 for bill corrections (the change in a bill's total, either way), yuan; None: no limit.
DEFAULT_AUTHORITY = [
    ("bill_correction", "billing_clerk", D("50")),
    ("bill_correction", "agent", D("50")),
    ("bill_correction", "team_leader", D("200")),
    ("bill_correction", "station_head", D("500")),
    ("bill_correction", "department_head", D("1000")),
    ("bill_correction", "deputy_gm", D("5000")),
    ("bill_correction", "general_manager", None),
]


def install_default_tariffs(
    schedule_model: Any, rate_model: Any, authority_model: Any | None = None
) -> None:
    if schedule_model.objects.exists():
        return
    schedule = schedule_model.objects.create(
        number=1, status="published", note="出厂默认热价（示例，请按物价部门核定价格修改）"
    )
    rate_model.objects.bulk_create(
        rate_model(
            schedule=schedule,
            customer_type=customer_type,
            fee_group=group,
            method=method,
            price_per_m2=price,
            base_per_m2=base,
            energy_per_gj=energy,
        )
        for customer_type, group, method, price, base, energy in DEFAULT_RATES
    )
    if authority_model is not None:
        authority_model.objects.bulk_create(
            authority_model(schedule=schedule, kind=kind, position=position, max_amount=amount)
            for kind, position, amount in DEFAULT_AUTHORITY
        )
