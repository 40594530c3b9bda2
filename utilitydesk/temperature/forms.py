"""The measurement record form of the technician's phone page. The fixed fields are a
Django form; the rooms and their readings are numbered inputs the page's script adds and
removes (``room-<i>-kind``, ``room-<i>-reading-<j>``, …), read back here in their order so a
refused record comes back exactly as typed. The service validates the record itself."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utilitydesk.cases.services import decode_signature

from . import method, services
from .models import RoomKind

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 8 * 1024 * 1024

_ROOM_KEY = re.compile(r"^room-(\d{1,3})-kind$")


class MeasurementForm(forms.Form):
    instrument = forms.TypedChoiceField(label=_("Thermometer"), coerce=int, required=False)
    outdoor_celsius = forms.CharField(
        label=_("Outdoor temperature (°C)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    height_m = forms.CharField(
        label=_("Sensor height (m)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    doors_windows_closed = forms.BooleanField(
        label=_("Doors and windows closed 30 minutes before reading"), required=False
    )
    no_heat_source = forms.BooleanField(
        label=_("No heat source or sunlight on the sensor"), required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, instruments=(), warnings=None, **kwargs):
        super().__init__(*args, **kwargs)
        warnings = warnings or {}
        choices: list[tuple[str | int, str]] = [("", _("— choose the thermometer —"))]
        for instrument in instruments:
            text = _(
                "%(serial)s %(model)s · ±%(accuracy)s °C · certificate %(cert)s, valid until %(until)s"
            ) % {
                "serial": instrument.serial_number,
                "model": instrument.model_name,
                "accuracy": instrument.accuracy,
                "cert": instrument.certificate_number or "—",
                "until": instrument.certificate_expires.isoformat(),
            }
            if instrument.pk in warnings:
                text = f"{text} ⚠ {warnings[instrument.pk]}"
            choices.append((instrument.pk, text))
        self.fields["instrument"].choices = choices


@dataclass
class ReadingRow:
    celsius: str = ""
    time: str = ""


@dataclass
class RoomRow:
    kind: str = ""
    name: str = ""
    area: str = ""
    readings: list[ReadingRow] = field(default_factory=list)

    @property
    def points(self) -> int | None:
        area = _number(self.area)
        return method.points_required(area) if area is not None and area > 0 else None


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def rooms_from_post(data) -> list[RoomRow]:
    """The rooms as the page sent them, in the order of their numbers."""
    indexes = sorted(int(m.group(1)) for key in data if (m := _ROOM_KEY.match(key)))
    rooms = []
    for index in indexes[: services.MAX_ROOMS + 5]:
        prefix = f"room-{index}-"
        readings = []
        for point in range(1, method.POINTS_LARGEST + 1):
            key = f"{prefix}reading-{point}"
            if key not in data:
                continue
            readings.append(
                ReadingRow(
                    celsius=data.get(key, "").strip(),
                    time=data.get(f"{prefix}time-{point}", "").strip(),
                )
            )
        rooms.append(
            RoomRow(
                kind=data.get(f"{prefix}kind", ""),
                name=data.get(f"{prefix}name", "").strip(),
                area=data.get(f"{prefix}area", "").strip(),
                readings=readings,
            )
        )
    return rooms


def empty_rooms(now: datetime) -> list[RoomRow]:
    """A new record starts with a bedroom and the living room, their readings to come."""
    clock = timezone.localtime(now).strftime("%H:%M")
    return [
        RoomRow(kind=RoomKind.BEDROOM, readings=[ReadingRow(time=clock)]),
        RoomRow(kind=RoomKind.LIVING_ROOM, readings=[ReadingRow(time=clock)]),
    ]


def reading_time(text: str, now: datetime) -> datetime | None:
    """A reading's clock time on the visit: today's, or yesterday's just after midnight."""
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        return None
    local_now = timezone.localtime(now)
    day: date = local_now.date()
    at = datetime.combine(day, clock, tzinfo=method.LOCAL)
    if at > local_now + timedelta(minutes=5):
        at -= timedelta(days=1)
    return at


def room_inputs(rooms: list[RoomRow], now: datetime) -> list[services.RoomInput]:
    return [
        services.RoomInput(
            kind=room.kind,
            name=room.name,
            area_m2=room.area.replace("，", ".").replace(",", "."),
            readings=[
                services.ReadingInput(
                    celsius=reading.celsius.replace("，", ".").replace(",", "."),
                    read_at=reading_time(reading.time, now) or now,
                )
                for reading in room.readings
            ],
        )
        for room in rooms
    ]


def signature_png(data_url: str) -> bytes | None:
    """The drawn signature, or None when nothing was drawn. Raises ValidationError
    ({"signature": …}) for a damaged image."""
    if not data_url:
        return None
    return decode_signature(data_url)


def _picture_extension(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def check_photos(files) -> list[tuple[UploadedFile, str]]:
    """The photos chosen with their file extension, refused when too many, too large or
    not pictures."""
    photos = list(files)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("At most %(n)d photos.") % {"n": MAX_PHOTOS}]})
    checked = []
    for photo in photos:
        if photo.size > MAX_PHOTO_BYTES:
            raise ValidationError(
                {"photos": [_("A photo may be at most %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES >> 20}]}
            )
        head = photo.read(16)
        photo.seek(0)
        extension = _picture_extension(head)
        if extension is None:
            raise ValidationError({"photos": [_("Photos must be JPEG, PNG or WebP pictures.")]})
        checked.append((photo, extension))
    return checked
