import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from utilitydesk.cases.selectors import in_unit_scope, visible_cases
from utilitydesk.org.models import OrgUnit
from utilitydesk.privacy.access import Action as AccessAction
from utilitydesk.privacy.access import client_ip, record_access
from utilitydesk.privacy.web import personal_data_view

from . import selectors, services
from .forms import (
    AppealForm,
    ClassifyForm,
    DetermineForm,
    ImportantForm,
    RegisterFilterForm,
    RuleForm,
)
from .models import Appeal, Complaint

FORMS = {
    "classify": ClassifyForm,
    "determine": DetermineForm,
    "appeal": AppealForm,
    "rule": RuleForm,
    "important": ImportantForm,
}


def panel_context(user, complaint: Complaint, bound: dict | None = None) -> dict:
    """What the complaint section shows: only the forms whose action the person may take
    now, each as typed when it comes back with errors."""
    bound = bound or {}
    actions = selectors.allowed_actions(user, complaint)
    forms = {}
    if actions.classify:
        forms["classify"] = bound.get("classify") or ClassifyForm(
            initial={"category": complaint.category, "level": complaint.level}
        )
    if actions.determine:
        forms["determine"] = bound.get("determine") or DetermineForm(
            initial={
                "responsibility": complaint.responsibility,
                "valid": complaint.valid if complaint.valid is not None else True,
                "responsible_unit": complaint.responsible_unit_id,
                "responsible_staff": complaint.responsible_staff_id,
                "corrective_actions": complaint.corrective_actions,
            }
        )
    if actions.appeal:
        forms["appeal"] = bound.get("appeal") or AppealForm()
    if actions.rule is not None:
        forms["rule"] = bound.get("rule") or RuleForm(initial={"appeal": actions.rule.pk})
    return {
        "actions": actions,
        "forms": forms,
        "appeals": list(complaint.appeals.select_related("submitted_by", "ruled_by")),
        "appeal_deadline": services.appeal_deadline(complaint),
        "handled": complaint.case.status in services.HANDLED_STATUSES,
        "important_history": list(selectors.important_history(complaint)[:10]),
    }


def _next_page(request, complaint: Complaint) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("complaints:detail", args=[complaint.pk])


def _render_detail(request, complaint: Complaint, bound: dict | None = None, status: int = 200):
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "complaint_forms": bound or {},
            "complaint_next": _next_page(request, complaint)
            if request.method == "POST"
            else request.get_full_path(),
            "case_visible": visible_cases(request.user).filter(pk=complaint.case_id).exists(),
        },
        status=status,
    )


@login_required
@personal_data_view
def detail(request, pk: int):
    complaint = selectors.get_complaint(request.user, pk)
    if complaint is None:
        raise Http404
    record_access(
        request.user,
        AccessAction.VIEW,
        [complaint.case.customer_id],
        request=request,
        detail={"complaint": complaint.pk},
    )
    return _render_detail(request, complaint)


def _refuse_without_right(user, complaint: Complaint, action: str) -> None:
    """403 for someone who never holds the right; a right held but not usable now (an
    appeal period over, a complaint not yet handled) is explained on the page instead."""
    needs = {
        "determine": "complaints.determine_complaint",
        "rule": "complaints.rule_appeal",
        "important": "complaints.mark_important",
    }
    if action == "classify" and not services.may_classify(actor=user):
        raise PermissionDenied(
            _(
                "Only the service centre and the service office set a complaint's category and level."
            )
        )
    if action in needs and not user.has_perm(needs[action]):
        raise PermissionDenied(_("You are not allowed to do this."))
    held_responsible = complaint.responsible_unit is not None and in_unit_scope(
        user, complaint.responsible_unit
    )
    if action == "appeal" and not held_responsible:
        raise PermissionDenied(_("Only the unit held responsible can appeal."))


def _not_allowed_now(user, complaint: Complaint, action: str) -> str | None:
    actions = selectors.allowed_actions(user, complaint)
    if action == "determine" and not actions.determine:
        if complaint.case.status not in services.HANDLED_STATUSES:
            return _("Responsibility is determined once the complaint is handled.")
        return _("An appeal is waiting for a ruling: rule on it first.")
    if action == "appeal" and not actions.appeal:
        waiting = complaint.appeals.filter(status=Appeal.Status.SUBMITTED).first()

        return services.may_appeal(complaint, waiting, actor=user, now=timezone.now())
    if action == "rule" and actions.rule is None:
        return _("There is no appeal of yours to rule on.")
    return None


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_POST
@personal_data_view
def act(request, pk: int, action: str):
    complaint = selectors.get_complaint(request.user, pk)
    if complaint is None or action not in FORMS:
        raise Http404
    _refuse_without_right(request.user, complaint, action)
    refusal = _not_allowed_now(request.user, complaint, action)
    if refusal:
        messages.error(request, refusal)
        return _render_detail(request, complaint)
    form = FORMS[action](request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "classify":
                services.classify(pk, d["category"], d["level"], actor=request.user)
            elif action == "determine":
                services.determine(pk, actor=request.user, **d)
            elif action == "appeal":
                services.submit_appeal(pk, d["reason"], actor=request.user)
            elif action == "important":
                services.set_important(pk, d["important"], actor=request.user)
            else:
                appeal = Appeal.objects.filter(pk=d["appeal"], complaint=complaint).first()
                if appeal is None:
                    raise ValidationError(_("There is no appeal of yours to rule on."))
                services.rule_appeal(appeal.pk, d["upheld"], d["ruling"], actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You are not allowed to do this."))
        except Complaint.DoesNotExist:
            raise Http404 from None
        else:
            messages.success(request, _("Complaint updated."))
            return redirect(_next_page(request, complaint))
    complaint = selectors.get_complaint(request.user, pk)
    if complaint is None:  # no longer visible after a failed action: not a server error
        raise Http404
    record_access(
        request.user,
        AccessAction.VIEW,
        [complaint.case.customer_id],
        request=request,
        detail={"complaint": complaint.pk},
    )
    return _render_detail(request, complaint, {action: form})


@login_required
@require_GET
def staff_options(request):
    """The determine form's staff list for the unit just chosen (htmx)."""
    if not request.user.has_perm("complaints.determine_complaint"):
        raise PermissionDenied
    raw = request.GET.get("responsible_unit", "")
    unit = (
        OrgUnit.objects.filter(pk=int(raw)).first() if raw.isdecimal() and len(raw) < 19 else None
    )
    people = selectors.staff_of_unit(unit)
    options = format_html_join(
        "",
        '<option value="{}">{}{} ({})</option>',
        ((u.pk, u.last_name, u.first_name, u.username) for u in people),
    )
    return HttpResponse(format_html('<option value="">{}</option>', "—") + options)


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
@personal_data_view
def register(request):
    """投诉台账: every complaint the person may see, filtered; exported to .xlsx."""
    form = RegisterFilterForm(request.GET or None)
    filters = form.filters()
    if request.GET.get("export") == "xlsx":
        stream = io.BytesIO()
        services.export_register(filters, stream, actor=request.user, ip_address=client_ip(request))
        response = HttpResponse(
            stream.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="complaints.xlsx"'
        return response
    page = Paginator(selectors.register(request.user, filters), 25).get_page(
        request.GET.get("page")
    )
    record_access(
        request.user,
        AccessAction.LIST,
        [c.case.customer_id for c in page],
        request=request,
        detail={"complaints": [c.pk for c in page]},
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "complaints/register.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_export": services.may_export(actor=request.user),
        },
    )
