"""Pages of the monitoring points (测温点, R-704) and the thermometer register (issue 14):
the station's points with their due visits and loggers, adding and deactivating a point,
placing a logger and importing its CSV; the register's list, add, edit and retire. Thin:
reads and writes through monitoring.py. The section of due points on the technician's
work page (/field/) is registered with cases.hooks by ``register_monitoring``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.cases.hooks import FieldSection, register_field_section
from utilitydesk.org.selectors import station_scope
from utilitydesk.privacy.access import Action, record_access
from utilitydesk.privacy.web import personal_data_view

from . import monitoring
from .point_forms import (
    INFRARED_NOTE,
    AddPointForm,
    InstrumentForm,
    LoggerFileForm,
    PlaceLoggerForm,
    PointFilterForm,
    PremisesSearchForm,
)

PAGE_SIZE = 50


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for ms in exc.message_dict.values() for m in ms)
    return " ".join(exc.messages)


def _record_point_path(point_id: int) -> str:
    # The record page of a monitoring visit (temperature/urls.py, "record_point").
    return f"/temperature/record/point/{point_id}/"


# --- the technician's work page ---------------------------------------------------------------


def due_section(request):
    """The /field/ section: the station's points due for a visit (in season)."""
    now = timezone.now()
    points, total = monitoring.due_points(request.user, now=now)
    if not points:
        return None
    record_access(
        request.user,
        Action.VIEW,
        [point.premises.customer_id for point in points],
        request=request,
        detail={"section": "monitoring_points_due"},
    )
    return {
        "due_points": [
            {"point": point, "record_url": _record_point_path(point.pk)} for point in points
        ],
        "due_points_total": total,
    }


def register_monitoring() -> None:
    """Called from the app's ready(): the due points on the technician's work page."""
    register_field_section(
        FieldSection("temperature_points_due", "temperature/point_due_section.html", due_section)
    )


# --- monitoring points ------------------------------------------------------------------------


@login_required
@permission_required(monitoring.VIEW_POINTS, raise_exception=True)
@personal_data_view
def point_list(request):
    now = timezone.now()
    form = PointFilterForm(request.GET or None, stations=monitoring.point_stations(request.user))
    filters = monitoring.PointFilters()
    if form.is_valid():
        filters = monitoring.PointFilters(
            station_id=form.cleaned_data.get("station"),
            address=form.cleaned_data["address"],
            include_inactive=form.cleaned_data["inactive"],
        )
    page = Paginator(monitoring.search_points(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [{"point": point, "overdue": monitoring.is_overdue(point, now)} for point in page]
    record_access(
        request.user,
        Action.LIST,
        [row["point"].premises.customer_id for row in rows],
        request=request,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "temperature/point_list.html",
        {
            "filter_form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "may_add": request.user.has_perm(monitoring.ADD_POINTS),
        },
    )


@login_required
@permission_required(monitoring.ADD_POINTS, raise_exception=True)
@personal_data_view
def point_add(request):
    stations = monitoring.point_stations(request.user)
    add_form = AddPointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        search_data = request.POST
        if add_form.is_valid():
            try:
                point = monitoring.add_point(
                    add_form.cleaned_data["premises"],
                    add_form.cleaned_data["rooms"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_form.add_error(None, _errors(exc))
            else:
                messages.success(
                    request,
                    _("%(address)s is now a monitoring point, due for its first visit.")
                    % {"address": point.premises.address_text},
                )
                return redirect("temperature_points:detail", point.pk)
        status = 400
    else:
        search_data = request.GET if "address" in request.GET else None
    search = PremisesSearchForm(search_data, stations=stations)
    candidates = []
    if search.is_valid():
        candidates = monitoring.premises_to_add(
            request.user, search.cleaned_data["address"], search.cleaned_data.get("station")
        )
        record_access(
            request.user,
            Action.LOOKUP,
            [premises.customer_id for premises in candidates],
            request=request,
        )
    return render(
        request,
        "temperature/point_add.html",
        {"search": search, "add_form": add_form, "candidates": candidates},
        status=status,
    )


def _point_or_404(request, pk: int):
    point = monitoring.point_for(request.user, pk)
    if point is None:
        raise Http404
    return point


def _point_page(request, point, *, file_form=None, row_errors=(), status=200):
    now = timezone.now()
    record_access(
        request.user,
        Action.VIEW,
        [point.premises.customer_id],
        request=request,
        detail={"monitoring_point": point.pk},
    )
    may_change = request.user.has_perm(monitoring.CHANGE_POINTS) and point.active
    return render(
        request,
        "temperature/point_detail.html",
        {
            "point": point,
            "overdue": monitoring.is_overdue(point, now),
            "days": monitoring.daily_readings(point),
            "recent": monitoring.recent_readings(point),
            "may_change": may_change,
            "may_import": request.user.has_perm(monitoring.IMPORT_READINGS)
            and point.active
            and point.logger_id is not None,
            "may_record": request.user.has_perm("temperature.record_measurement") and point.active,
            "record_url": _record_point_path(point.pk),
            "logger_form": PlaceLoggerForm(loggers=monitoring.loggers_to_place(request.user, point))
            if may_change
            else None,
            "file_form": file_form or LoggerFileForm(),
            "row_errors": list(row_errors),
            "columns": ",".join(monitoring.CSV_COLUMNS),
        },
        status=status,
    )


@login_required
@permission_required(monitoring.VIEW_POINTS, raise_exception=True)
@personal_data_view
def point_detail(request, pk: int):
    return _point_page(request, _point_or_404(request, pk))


@login_required
@permission_required(monitoring.CHANGE_POINTS, raise_exception=True)
@require_POST
def point_deactivate(request, pk: int):
    try:
        point = monitoring.deactivate_point(pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request,
            _("%(address)s is no longer a monitoring point.")
            % {"address": point.premises.address_text},
        )
    return redirect("temperature_points:list")


@login_required
@permission_required(monitoring.CHANGE_POINTS, raise_exception=True)
@require_POST
def point_place_logger(request, pk: int):
    point = _point_or_404(request, pk)
    form = PlaceLoggerForm(request.POST, loggers=monitoring.loggers_to_place(request.user, point))
    if not form.is_valid():
        messages.error(request, _("Choose a data logger from the register."))
    else:
        logger = form.cleaned_data["logger"]
        try:
            monitoring.place_logger(pk, logger.pk, actor=request.user)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(
                request, _("Data logger %(serial)s placed.") % {"serial": logger.serial_number}
            )
    return redirect("temperature_points:detail", pk)


@login_required
@permission_required(monitoring.CHANGE_POINTS, raise_exception=True)
@require_POST
def point_remove_logger(request, pk: int):
    try:
        monitoring.remove_logger(pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Data logger taken back."))
    return redirect("temperature_points:detail", pk)


@login_required
@permission_required(monitoring.IMPORT_READINGS, raise_exception=True)
@personal_data_view
def point_logger_import(request, pk: int):
    """Upload the CSV of the logger placed at the point (GET shows the page)."""
    point = _point_or_404(request, pk)
    if request.method != "POST":
        return _point_page(request, point)
    form = LoggerFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _point_page(request, point, file_form=form, status=400)
    try:
        result = monitoring.import_logger_csv(pk, form.cleaned_data["file"], actor=request.user)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"file": exc.messages}
        for message in errors.get("file", []) + errors.get("point", []):
            form.add_error("file", message)
        return _point_page(
            request, point, file_form=form, row_errors=errors.get("rows", []), status=400
        )
    messages.success(
        request,
        _(
            "Logger readings imported: %(added)d new, %(already)d already stored "
            "(%(first)s – %(last)s)."
        )
        % {
            "added": result.added,
            "already": result.already,
            "first": timezone.localtime(result.first).strftime("%Y-%m-%d %H:%M"),
            "last": timezone.localtime(result.last).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return redirect("temperature_points:detail", pk)


# --- the thermometer register ---------------------------------------------------------------


@login_required
@permission_required(monitoring.VIEW_INSTRUMENTS, raise_exception=True)
def instrument_list(request):
    today = timezone.localdate()
    instruments = monitoring.visible_instruments(request.user).select_related("station")
    if request.GET.get("retired") != "1":
        instruments = instruments.filter(active=True)
    stations = list(monitoring.point_stations(request.user))
    station = request.GET.get("station", "")
    if station.isdigit() and len(stations) > 1:
        instruments = instruments.filter(station_id=int(station))
    page = Paginator(instruments.order_by("serial_number"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "instrument": instrument,
            "state": monitoring.certificate_state(instrument, today),
            "refused": monitoring.refused_for_measurements(instrument),
            "may_change": instrument.active
            and monitoring.may_change_instrument(request.user, instrument),
        }
        for instrument in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "temperature/instrument_list.html",
        {
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "stations": stations if len(stations) > 1 else [],
            "station": station,
            "retired": request.GET.get("retired") == "1",
            "may_add": request.user.has_perm(monitoring.ADD_INSTRUMENTS),
            "expiring_days": monitoring.EXPIRING_DAYS,
            "infrared_note": INFRARED_NOTE,
        },
    )


def _instrument_form(request, data=None, initial=None):
    return InstrumentForm(
        data,
        stations=monitoring.point_stations(request.user),
        company_wide=station_scope(request.user) is None,
        initial=initial,
    )


def _input(form) -> monitoring.InstrumentInput:
    data = form.cleaned_data
    return monitoring.InstrumentInput(
        serial_number=data["serial_number"],
        model_name=data["model_name"],
        kind=data["kind"],
        accuracy=data["accuracy"],
        certificate_number=data["certificate_number"],
        certificate_expires=data["certificate_expires"],
        station_id=data["station"],
    )


def _apply_errors(form, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for name, field_errors in errors.items():
        form.add_error(name if name in form.fields else None, field_errors)


def _saved(request, instrument) -> None:
    messages.success(
        request, _("Thermometer %(serial)s saved.") % {"serial": instrument.serial_number}
    )
    if monitoring.refused_for_measurements(instrument):
        messages.warning(request, INFRARED_NOTE)


@login_required
@permission_required(monitoring.ADD_INSTRUMENTS, raise_exception=True)
def instrument_add(request):
    scope = station_scope(request.user)
    initial = {"station": next(iter(scope))} if scope and len(scope) == 1 else None
    form = _instrument_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            instrument = monitoring.register_instrument(_input(form), actor=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            _saved(request, instrument)
            return redirect("temperature_points:instruments")
    return render(
        request,
        "temperature/instrument_form.html",
        {"form": form, "instrument": None},
        status=400 if request.method == "POST" else 200,
    )


def _changeable(request, pk: int):
    instrument = monitoring.visible_instruments(request.user).filter(pk=pk).first()
    if instrument is None:
        raise Http404
    if not monitoring.may_change_instrument(request.user, instrument):
        raise PermissionDenied
    return instrument


@login_required
@permission_required(monitoring.CHANGE_INSTRUMENTS, raise_exception=True)
def instrument_edit(request, pk: int):
    instrument = _changeable(request, pk)
    initial = {
        "serial_number": instrument.serial_number,
        "model_name": instrument.model_name,
        "kind": instrument.kind,
        "accuracy": instrument.accuracy,
        "certificate_number": instrument.certificate_number,
        "certificate_expires": instrument.certificate_expires,
        "station": instrument.station_id,
    }
    form = _instrument_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            instrument = monitoring.change_instrument(pk, _input(form), actor=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            _saved(request, instrument)
            return redirect("temperature_points:instruments")
    return render(
        request,
        "temperature/instrument_form.html",
        {"form": form, "instrument": instrument},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@permission_required(monitoring.CHANGE_INSTRUMENTS, raise_exception=True)
@require_POST
def instrument_retire(request, pk: int):
    _changeable(request, pk)
    try:
        instrument = monitoring.retire_instrument(pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request,
            _("Thermometer %(serial)s retired: it can no longer be chosen.")
            % {"serial": instrument.serial_number},
        )
    return redirect("temperature_points:instruments")
