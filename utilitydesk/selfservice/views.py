"""The household's pages under /my/. A customer is not a staff user: the signed-in number
lives under its own session key, and nothing here reads or changes ``request.user``."""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from utilitydesk.cases.models import Kind
from utilitydesk.cases.services import DuplicateWarning
from utilitydesk.privacy.access import Action, client_ip, record_access
from utilitydesk.privacy.masking import mask_phone
from utilitydesk.privacy.views import file_response

from . import selectors, services
from .forms import (
    BindForm,
    CodeForm,
    HeatApplicationForm,
    PhoneForm,
    RatingForm,
    ReportForm,
    TemperatureForm,
    add_errors,
)

SESSION_KEY = "selfservice_phone"

# FileResponse (a photo) is a streaming response, not an HttpResponse.
View = Callable[..., HttpResponseBase]


def signed_in_phone(request: HttpRequest) -> str:
    return str(request.session.get(SESSION_KEY) or "")


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "selfservice/unavailable.html", status=503)


def customer_page(view: View) -> View:
    """Only for a signed-in number; never cached (the pages hold personal data)."""

    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        phone = signed_in_phone(request)
        if not phone:
            return redirect("selfservice:sign_in")
        try:
            return view(request, phone, *args, **kwargs)
        except services.NotConfigured:
            return _unavailable(request)

    return wrapper


def _log(
    request: HttpRequest,
    phone: str,
    action: str,
    customers: Iterable[Model | int | None],
    **detail: Any,
) -> None:
    """The household's own reads go to the access log like a colleague's, recorded as
    the self-service account with the (masked) number that signed in."""
    record_access(
        services.actor(),
        action,
        customers,
        request=request,
        detail={"selfservice": mask_phone(phone), **detail},
    )


@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    if signed_in_phone(request):
        return redirect("selfservice:home")
    phone_form: PhoneForm = PhoneForm()
    code_form: CodeForm | None = None
    if request.method == "POST" and request.POST.get("step") == "code":
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                phone = services.verify_code(
                    code_form.cleaned_data["phone"], code_form.cleaned_data["code"]
                )
            except ValidationError as exc:
                add_errors(code_form, exc)
            else:
                request.session.cycle_key()
                request.session[SESSION_KEY] = phone
                if services.refresh_bindings(phone):
                    # Which accounts is not said: the number may have a new owner.
                    messages.info(
                        request,
                        _(
                            "Accounts bound to this number long ago need to be bound again "
                            "with their proof."
                        ),
                    )
                return redirect("selfservice:home")
    elif request.method == "POST":
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            try:
                phone = services.request_code(
                    phone_form.cleaned_data["phone"], ip_address=client_ip(request)
                )
            except ValidationError as exc:
                add_errors(phone_form, exc)
            else:
                code_form = CodeForm(initial={"phone": phone})
                messages.success(
                    request, _("A code was sent to %(phone)s.") % {"phone": mask_phone(phone)}
                )
    return render(
        request,
        "selfservice/sign_in.html",
        {"phone_form": phone_form, "code_form": code_form},
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    return redirect("selfservice:sign_in")


@customer_page
def home(request: HttpRequest, phone: str) -> HttpResponse:
    customers = selectors.my_customers(phone)
    if customers:
        _log(request, phone, Action.VIEW, customers)
    others = selectors.other_numbers(phone, [c.pk for c in customers])
    return render(
        request,
        "selfservice/home.html",
        {
            "accounts": [(c, others.get(c.pk, [])) for c in customers],
            "customers": customers,
            "phone": mask_phone(phone),
            "nav": "home",
        },
    )


@customer_page
def bind(request: HttpRequest, phone: str) -> HttpResponse:
    form = BindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            binding = services.bind(phone, **form.cleaned_data, ip_address=client_ip(request))
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Account %(account)s is now bound.") % {"account": binding.customer.account_no},
            )
            return redirect("selfservice:home")
    return render(request, "selfservice/bind.html", {"form": form, "nav": "home"})


@customer_page
@require_POST
def unbind(request: HttpRequest, phone: str, customer_id: int) -> HttpResponse:
    if not services.unbind(phone, customer_id):
        raise Http404
    messages.success(request, _("The account is no longer bound to this number."))
    return redirect("selfservice:home")


def _bind_first(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Bind your account first."))
    return redirect("selfservice:bind")


@customer_page
def report(request: HttpRequest, phone: str) -> HttpResponse:
    premises = selectors.my_premises(phone)
    if not premises:
        return _bind_first(request)
    choices = [(p.pk, p.address_text) for p in premises]
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        premises_choices=choices,
        initial={"premises": premises[0].pk, "kind": Kind.REPAIR},
    )
    duplicates = []
    photos = request.FILES.getlist("photos") if request.method == "POST" else []
    too_many = len(photos) > settings.SELFSERVICE_PHOTOS_PER_REPORT
    if request.method == "POST" and form.is_valid():
        # Stopped before the service reads a byte of them.
        if getattr(request, "upload_too_large", False):
            form.add_error(
                "photos",
                _("The photos are larger than allowed together. Attach fewer or smaller ones."),
            )
        elif too_many:
            form.add_error(
                "photos",
                _("At most %(n)d photos.") % {"n": settings.SELFSERVICE_PHOTOS_PER_REPORT},
            )
    add_to = request.POST.get("add_to", "")[:32] if request.method == "POST" else ""
    if request.method == "POST" and form.is_valid():
        data = services.FaultReport(
            premises_id=form.cleaned_data["premises"],
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            photos=photos,
        )
        try:
            if add_to:
                contact = services.add_to_case(phone, add_to, data)
            else:
                contact = services.report(phone, data)
        except DuplicateWarning as warning:
            duplicates = warning.cases
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if add_to:
                messages.success(
                    request,
                    _("Added to case %(number)s. Thank you.") % {"number": add_to},
                )
                return redirect("selfservice:case", number=add_to)
            case = contact.case
            if case is not None:
                messages.success(
                    request,
                    _("Reported. Your case number is %(number)s.") % {"number": case.number},
                )
                return redirect("selfservice:case", number=case.number)
            return redirect("selfservice:cases")
    _log(request, phone, Action.VIEW, {p.customer_id for p in premises}, page_kind="report")
    return render(
        request,
        "selfservice/report.html",
        {
            "form": form,
            "duplicates": duplicates,
            "photos_chosen": bool(photos),
            "nav": "report",
            "max_photos": settings.SELFSERVICE_PHOTOS_PER_REPORT,
        },
    )


def _premises_form(request: HttpRequest, phone: str, form_class: Any) -> tuple[Any, list[Any]]:
    """A form about one of the household's premises (the first chosen), with the premises;
    no form when nothing is bound yet."""
    premises = selectors.my_premises(phone)
    if not premises:
        return None, premises
    form = form_class(
        request.POST or None,
        premises_choices=[(p.pk, p.address_text) for p in premises],
        initial={"premises": premises[0].pk},
    )
    return form, premises


@customer_page
def temperature(request: HttpRequest, phone: str) -> HttpResponse:
    form, premises = _premises_form(request, phone, TemperatureForm)
    if form is None:
        return _bind_first(request)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.request_temperature(
                phone, form.cleaned_data["premises"], form.cleaned_data["note"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your request is registered as case %(number)s. The station will call you.")
                % {"number": case.number},
            )
            return redirect("selfservice:case", number=case.number)
    _log(request, phone, Action.VIEW, {p.customer_id for p in premises}, page_kind="temperature")
    return render(request, "selfservice/temperature.html", {"form": form, "nav": "report"})


@customer_page
def heat(request: HttpRequest, phone: str) -> HttpResponse:
    form, premises = _premises_form(request, phone, HeatApplicationForm)
    if form is None:
        return _bind_first(request)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.apply_for_heat(
                phone,
                form.cleaned_data["premises"],
                form.cleaned_data["kind"],
                form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your application for the %(season)s season is registered.")
                % {"season": application.season},
            )
            return redirect("selfservice:heat")
    applications = selectors.my_applications(phone)
    if applications:
        _log(request, phone, Action.VIEW, {p.customer_id for p in premises}, page_kind="heat")
    return render(
        request,
        "selfservice/heat.html",
        {
            "form": form,
            "applications": applications,
            "window": selectors.heat_window(timezone.localdate()),
            "today": timezone.localdate(),
            "nav": "home",
        },
    )


@customer_page
def cases(request: HttpRequest, phone: str) -> HttpResponse:
    found = selectors.my_cases(phone)
    if found:
        _log(request, phone, Action.LIST, [], cases=[c.number for c in found])
    return render(request, "selfservice/cases.html", {"cases": found, "nav": "cases"})


@customer_page
def case(request: HttpRequest, phone: str, number: str) -> HttpResponse:
    found = selectors.my_case(phone, number)
    if found is None:
        raise Http404
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rating = services.rate(
                phone, number, form.cleaned_data["outcome"], form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            if not services.may_rate(found, timezone.now()):
                # The form is not shown any more: its errors would vanish with it.
                for text in exc.messages:
                    messages.error(request, text)
                return redirect("selfservice:case", number=number)
            add_errors(form, exc)
        else:
            if rating.reopened and found.responsible_unit_id is None:
                messages.success(
                    request,
                    _(
                        "Sorry it is not fixed. It is registered as a new case and sent to the station."
                    ),
                )
            elif rating.reopened:
                messages.success(
                    request, _("Sorry it is not fixed. The case is reopened and sent back.")
                )
            else:
                messages.success(request, _("Thank you for your rating."))
            return redirect("selfservice:case", number=number)
    _log(request, phone, Action.CASE, [found.customer_id], case=found.number)
    return render(
        request,
        "selfservice/case.html",
        {
            "case": found,
            "steps": selectors.customer_timeline(found),
            "technician": selectors.technician_of(found),
            "photos": selectors.my_photos(found),
            "form": form if services.may_rate(found, timezone.now()) else None,
            "nav": "cases",
        },
    )


@customer_page
def photo(request: HttpRequest, phone: str, number: str, photo_id: int) -> HttpResponseBase:
    """A photo of the household's own case, through the same checks as staff's media
    files: found only through the bindings, the opening access-logged, not cached."""
    found = selectors.my_photo(phone, number, photo_id)
    name = found.file.name if found is not None else None
    if found is None or not name or not default_storage.exists(name):
        raise Http404
    _log(
        request,
        phone,
        Action.FILE,
        [found.case.customer_id],
        case=found.case.number,
        file=name,
    )
    return file_response(name)


@customer_page
def interruptions(request: HttpRequest, phone: str) -> HttpResponse:
    rows = selectors.my_interruptions(phone)
    if rows:
        _log(
            request,
            phone,
            Action.VIEW,
            {r.premises.customer_id for r in rows},
            page_kind="interruptions",
        )
    return render(request, "selfservice/interruptions.html", {"rows": rows, "nav": "home"})


@customer_page
def bills(request: HttpRequest, phone: str) -> HttpResponse:
    accounts = selectors.my_money(phone)
    if accounts:
        _log(request, phone, Action.VIEW, [a.customer for a in accounts], page_kind="bills")
    return render(request, "selfservice/bills.html", {"accounts": accounts, "nav": "bills"})


@customer_page
def bill(request: HttpRequest, phone: str, number: str) -> HttpResponse:
    found = selectors.my_bill(phone, number)
    if found is None:
        raise Http404
    _log(request, phone, Action.VIEW, [found.customer_id], bill=found.number)
    return render(request, "selfservice/bill.html", {"bill": found, "nav": "bills"})


@never_cache
def faq(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "selfservice/faq.html",
        {
            "entries": selectors.faq(query),
            "q": query,
            "nav": "faq",
            "signed_in": bool(signed_in_phone(request)),
        },
    )
