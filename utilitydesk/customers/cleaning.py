"""Cleaning what people type or import into customer records: phones, areas, addresses.
Used by the services and the import alike (one place per rule)."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from utilitydesk.area.models import Building

from . import phones as phone_numbers


def address_of(building: Building, unit_no: str, room_no: str) -> str:
    district = building.community.district.name
    unit = f"{unit_no}单元" if unit_no and not unit_no.endswith("单元") else unit_no
    room = f"{room_no}室" if room_no and not room_no.endswith("室") else room_no
    return f"{district}{building.community.name}{building.name}{unit}{room}"


def clean_phone_list(raw: list[str] | str) -> list[str]:
    items = phone_numbers.split(raw) if isinstance(raw, str) else list(raw)
    cleaned: list[str] = []
    for item in items:
        number = phone_numbers.normalize(item)
        if not phone_numbers.is_valid(number):
            if phone_numbers.lost_leading_zero(number):
                message = _(
                    "“%(value)s” is not a valid phone number: a landline's area code starts "
                    "with 0 (Excel drops it from number cells; format the column as text)."
                )
            else:
                message = _("“%(value)s” is not a valid phone number.")
            raise ValidationError({"phones": message % {"value": item}})
        if number not in cleaned:
            cleaned.append(number)
    if not cleaned:
        raise ValidationError({"phones": _("At least one phone number is required.")})
    return cleaned


# 88.5㎡, 88.5 平方米, 88.5 m2, 88.5m², ８８．５: NFKC turns ㎡ and m² into m2 and full-width
# digits into ASCII; Excel's number format may add thousands separators (1,234.50).
_AREA_UNIT = re.compile(r"\s*(?:m2|平方米|平米|平方|sqm)$", re.IGNORECASE)
_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$")


def _area_number(text: str) -> Decimal:
    text = unicodedata.normalize("NFKC", text).strip()
    text = _AREA_UNIT.sub("", text)
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    return Decimal(text)


def clean_area(raw: Any) -> Decimal:
    text = str(raw).strip()
    try:
        try:
            area = Decimal(text)
        except InvalidOperation:
            area = _area_number(text)
        area = area.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"heated_area": _("The heated area must be a number.")}) from None
    if not area.is_finite() or area <= 0 or area > Decimal("1000000"):
        raise ValidationError(
            {"heated_area": _("The heated area must be a positive number of square metres.")}
        )
    return area
