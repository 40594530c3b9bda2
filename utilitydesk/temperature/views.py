"""Pages of the measurement record (issue 14): the technician's record page on the phone
(for a temperature case on site or a monitoring point visit), the record's detail, the
customer's printable copy and the button that answers a heating-quality complaint with a
measurement. Thin: reads through record_selectors, writes through services."""

import json
import uuid
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.cases.selectors import is_own_work
from utilitydesk.privacy.access import Action, record_access, record_cases_shown
from utilitydesk.privacy.files import FileAccess
from utilitydesk.privacy.masking import phone_for
from utilitydesk.privacy.web import personal_data_view

from . import method, record_selectors, services
from .forms import (
    MeasurementForm,
    check_photos,
    empty_rooms,
    room_inputs,
    rooms_from_post,
    signature_png,
)
from .models import Measurement, RoomKind
from .pdf import render_record

# Errors of the service that belong to a field of the form; the rest are shown above it.
FORM_FIELDS = {
    "instrument",
    "outdoor_celsius",
    "height_m",
    "doors_windows_closed",
    "no_heat_source",
    "signature",
}


def point_steps() -> str:
    """The method's room sizes for the page's script (the same table as the service's)."""
    steps = [[str(below), points] for below, points in method.POINT_STEPS]
    return json.dumps({"steps": steps, "largest": method.POINTS_LARGEST})


@login_required
@permission_required("temperature.record_measurement", raise_exception=True)
@personal_data_view
def record_case(request, number: str):
    case = record_selectors.case_to_record(request.user, number)
    if case is None:
        # Sent twice (a second tap after the first was stored): the record is there.
        done = record_selectors.visible_measurements(request.user).filter(case__number=number)
        if (stored := done.values_list("number", flat=True).first()) is not None:
            return redirect("temperature:measurement", stored)
        raise Http404
    return _record_page(request, case=case, point=None)


@login_required
@permission_required("temperature.record_measurement", raise_exception=True)
@personal_data_view
def record_point(request, point_id: int):
    point = record_selectors.point_to_record(request.user, point_id)
    if point is None:
        raise Http404
    return _record_page(request, case=None, point=point)


def _record_page(request, *, case, point):
    now = timezone.now()
    premises = case.premises if case is not None else point.premises
    policy = services.policy_for(case)
    instruments = list(record_selectors.instruments_for(request.user, premises.station_id))
    warnings = record_selectors.instrument_warnings(instruments, timezone.localdate(now), policy)
    form_kwargs = {"instruments": instruments, "warnings": warnings}
    rooms_errors: list[str] = []
    photo_errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = MeasurementForm(request.POST, **form_kwargs)
        form.is_valid()
        rooms = rooms_from_post(request.POST)
        refusal = _submit(request, form, rooms, case=case, point=point, now=now)
        if isinstance(refusal, Measurement):
            messages.success(request, _("Measurement record %(n)s saved.") % {"n": refusal.number})
            return redirect("temperature:measurement", refusal.number)
        errors = refusal
        for name, field_errors in errors.items():
            if name in FORM_FIELDS:
                form.add_error(name, field_errors)
            elif name == "rooms":
                rooms_errors.extend(field_errors)
            elif name == "photos":
                photo_errors.extend(field_errors)
            else:
                form.add_error(None, field_errors)
        status = 400
    else:
        form = MeasurementForm(initial={"height_m": policy.temperature_height_m}, **form_kwargs)
        rooms = empty_rooms(now)
    if case is not None:
        record_cases_shown(request, [case])
        phone = phone_for(
            request.user, case.caller_phone, on_own_work=is_own_work(request.user, case)
        )
        back = reverse("field:case", args=[case.number])
    else:
        record_access(
            request.user,
            Action.VIEW,
            [premises.customer_id],
            request=request,
            detail={"monitoring_point": point.pk},
        )
        phone = ""
        back = reverse("field:list")
    return render(
        request,
        "temperature/record.html",
        {
            "case": case,
            "point": point,
            "premises": premises,
            "phone": phone,
            "back": back,
            "policy": policy,
            "form": form,
            "rooms": rooms,
            "rooms_errors": rooms_errors,
            "photo_errors": photo_errors,
            "room_kinds": RoomKind.choices,
            "point_steps": point_steps(),
            "clock": timezone.localtime(now).strftime("%H:%M"),
            "max_rooms": services.MAX_ROOMS,
        },
        status=status,
    )


def _submit(request, form, rooms, *, case, point, now) -> Measurement | dict[str, list[str]]:
    """Sends the record to the service: the stored record, or the refusal's messages by
    field. A refused record keeps no photo on the server (they are chosen again)."""
    errors: dict[str, list[str]] = {}
    data = form.cleaned_data
    try:
        signature = signature_png(request.POST.get("signature", ""))
    except ValidationError as error:
        errors.update(error.message_dict)
        signature = None
    try:
        photos = check_photos(request.FILES.getlist("photos"))
    except ValidationError as error:
        errors.update(error.message_dict)
        photos = []
    if errors:
        return errors
    stored = [
        default_storage.save(
            f"{record_selectors.PHOTO_FOLDER}/{premises_of(case, point).pk}/"
            f"{uuid.uuid4().hex}.{extension}",
            photo,
        )
        for photo, extension in photos
    ]
    try:
        return services.record_measurement(
            services.MeasurementInput(
                instrument_id=data.get("instrument") or None,
                outdoor_celsius=(data.get("outdoor_celsius") or "").replace("，", "."),
                height_m=(data.get("height_m") or "").replace("，", "."),
                doors_windows_closed=bool(data.get("doors_windows_closed")),
                no_heat_source=bool(data.get("no_heat_source")),
                rooms=room_inputs(rooms, now),
                signature_png=signature,
                case_number=case.number if case is not None else "",
                monitoring_point_id=point.pk if point is not None else None,
                measured_at=now,
                note=data.get("note") or "",
                photos=stored,
            ),
            actor=request.user,
            now=now,
        )
    except (ValidationError, PermissionDenied) as refusal:
        for name in stored:
            default_storage.delete(name)
        if isinstance(refusal, PermissionDenied):
            return {"__all__": [str(refusal) or _("You are not allowed to do this.")]}
        if hasattr(refusal, "message_dict"):
            return refusal.message_dict
        return {"__all__": refusal.messages}


def premises_of(case, point):
    return case.premises if case is not None else point.premises


def _customer_phone(request, measurement: Measurement) -> str:
    case = measurement.case
    number = case.caller_phone if case is not None and case.caller_phone else ""
    if not number:
        number = (
            measurement.premises.customer.phones.order_by("pk")
            .values_list("number", flat=True)
            .first()
            or ""
        )
    own = case is not None and is_own_work(request.user, case)
    return phone_for(request.user, number, on_own_work=own)


@login_required
@personal_data_view
def measurement(request, number: str):
    record = record_selectors.measurement_for(request.user, number)
    if record is None:
        raise Http404
    customer = record.premises.customer
    record_access(
        request.user,
        Action.VIEW,
        [customer.pk],
        request=request,
        detail={"measurement": record.number},
    )
    rooms = list(record.rooms.all())
    photos = [default_storage.url(name) for name in record.photos]
    if record.case is not None:
        back = (
            reverse("field:case", args=[record.case.number])
            if request.user.has_perm("cases.handle_case")
            else reverse("cases:detail", args=[record.case.number])
        )
    else:
        back = ""
    return render(
        request,
        "temperature/measurement.html",
        {
            "m": record,
            "customer": customer,
            "phone": _customer_phone(request, record),
            "rooms": rooms,
            "photos": photos,
            "back": back,
        },
    )


@login_required
@personal_data_view
def measurement_pdf(request, number: str):
    record = record_selectors.measurement_for(request.user, number)
    if record is None:
        raise Http404
    pdf = render_record(
        record, request.user, phone=_customer_phone(request, record), request=request
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{record.number}.pdf"'
    return response


@login_required
@permission_required("cases.add_contact", raise_exception=True)
@require_POST
def request_from_complaint(request, number: str):
    try:
        case = services.request_from_complaint(number, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You are not allowed to do this."))
    else:
        messages.success(
            request, _("Temperature measurement requested: %(n)s.") % {"n": case.number}
        )
    return redirect("cases:detail", number)


# --- files ------------------------------------------------------------------------------------


def signature_access(user, name: str) -> FileAccess | None:
    """A record's signature opens for whoever may open the record (privacy.files)."""
    row = (
        record_selectors.visible_measurements(user)
        .filter(signature=name)
        .values("premises__customer_id", "number")
        .first()
    )
    if row is None:
        return None
    return FileAccess(
        customer_id=row["premises__customer_id"], detail={"measurement": row["number"]}
    )


def photo_access(user, name: str) -> FileAccess | None:
    """A record's photo (stored under the premises' folder) opens like its signature."""
    parts = PurePosixPath(name).parts
    try:
        premises_id = int(parts[2])
    except (IndexError, ValueError):
        return None
    for number, customer_id, photos in (
        record_selectors.visible_measurements(user)
        .filter(premises_id=premises_id)
        .values_list("number", "premises__customer_id", "photos")
    ):
        if name in (photos or []):
            return FileAccess(customer_id=customer_id, detail={"measurement": number})
    return None
