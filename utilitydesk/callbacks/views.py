from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.policy.services import current_policy
from utilitydesk.privacy.access import Action as AccessAction
from utilitydesk.privacy.access import record_access
from utilitydesk.privacy.web import personal_data_view

from . import selectors, services
from .forms import TYPE_CHOICES, OutcomeForm, QueueFilterForm, SpotCheckForm
from .models import CallbackTask, SpotCheck

__all__ = ["OutcomeForm"]  # the case page offers the same form


@login_required
@permission_required("callbacks.make_callback", raise_exception=True)
@personal_data_view
def queue(request):
    """The compact callback list: one row per callback, filtered and sorted; a row's
    outcome form opens beside the list (htmx) or on its own page."""
    now = timezone.now()
    supervisor = selectors.supervises_callbacks(request.user)
    filter_form = QueueFilterForm(request.GET or None, supervisor=supervisor)
    tasks = selectors.callback_queue(request.user, now, filter_form.filters())
    page = Paginator(tasks, 25).get_page(request.GET.get("page"))
    rows = [selectors.queue_row(t) for t in page]
    record_access(
        request.user,
        AccessAction.LIST,
        [selectors.customer_of(t) for t in page],
        request=request,
        detail={"callbacks": [t.pk for t in page]},
    )
    policy = current_policy()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "callbacks/queue.html",
        {
            "page": page,
            "rows": rows,
            "filter_form": filter_form,
            "query": query.urlencode(),
            "supervisor": supervisor,
            "allowed": services.may_call_at(now, policy),
            "policy": policy,
            "kind_labels": dict(TYPE_CHOICES),
        },
    )


def _next_page(request) -> str:
    """Back to the page the form was on, never to another site (open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("callbacks:queue")


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _render_task(request, task, form, status: int = 200):
    """The task's panel (htmx, beside the list) or its own page, with the form as typed."""
    policy = (task.case.policy_version if task.case_id else None) or current_policy()
    back = _next_page(request)
    if _is_htmx(request) and request.method == "GET":
        current = request.headers.get("HX-Current-URL", "")
        if url_has_allowed_host_and_scheme(
            current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = current
    context = {
        "task": task,
        "row": selectors.queue_row(task),
        "form": form,
        "allowed": services.may_call_at(timezone.now(), policy),
        "may_record": task.status == CallbackTask.Status.OPEN
        and services.may_record(task, actor=request.user),
        "policy": policy,
        "next": back,
        "kind_labels": dict(TYPE_CHOICES),
    }
    template = "callbacks/_task_panel.html" if _is_htmx(request) else "callbacks/task.html"
    return render(request, template, context, status=status)


def _task_or_refuse(user, pk: int) -> CallbackTask:
    task = selectors.task_for(user, pk)
    if task is not None:
        return task
    if CallbackTask.objects.filter(pk=pk).exists():
        raise PermissionDenied(_("This callback is assigned to someone else."))
    raise Http404


@login_required
@permission_required("callbacks.make_callback", raise_exception=True)
@personal_data_view
def task_detail(request, pk: int):
    task = _task_or_refuse(request.user, pk)
    record_access(
        request.user,
        AccessAction.VIEW,
        [selectors.customer_of(task)],
        request=request,
        detail={"callback": task.pk},
    )
    return _render_task(request, task, OutcomeForm(task=task))


@login_required
@permission_required("callbacks.make_callback", raise_exception=True)
@personal_data_view
@require_POST
def record(request, pk: int):
    task = _task_or_refuse(request.user, pk)
    # Calling hours decide which callbacks are offered, not whether a call just
    # made may be written down: a result typed at 11:29 is still recorded at 11:31.
    form = OutcomeForm(request.POST, task=task)
    if form.is_valid():
        d = form.cleaned_data
        try:
            task = services.record_outcome(
                pk, d["outcome"], d["comment"], d["if_dissatisfied"], actor=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You are not allowed to do this."))
        else:
            messages.success(
                request,
                _("Callback recorded for %(number)s.")
                % {"number": task.case.number if task.case is not None else task.customer},
            )
            if _is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = _next_page(request)
                return response
            return redirect(_next_page(request))
    record_access(
        request.user,
        AccessAction.VIEW,
        [selectors.customer_of(task)],
        request=request,
        detail={"callback": task.pk},
    )
    return _render_task(request, task, form)


def _add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: by field where the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@permission_required("callbacks.run_spot_check", raise_exception=True)
def spot_checks(request):
    today = timezone.localtime()
    form = SpotCheckForm(
        request.POST or None, initial={"year": today.year, "quarter": (today.month - 1) // 3 + 1}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            check = services.create_spot_check(
                d["unit"], d["year"], d["quarter"], d["seed"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("callbacks:spot_check", pk=check.pk)
    return render(
        request,
        "callbacks/spot_checks.html",
        {"form": form, "checks": SpotCheck.objects.order_by("-created_at")[:30]},
    )


@login_required
@permission_required("callbacks.run_spot_check", raise_exception=True)
@personal_data_view
def spot_check(request, pk: int):
    check = get_object_or_404(SpotCheck, pk=pk)
    rows = selectors.spot_check_comparison(check)
    record_access(
        request.user,
        AccessAction.LIST,
        [row.case.customer_id for row in rows],
        request=request,
        detail={"spot_check": check.pk},
    )
    return render(
        request,
        "callbacks/spot_check.html",
        {
            "check": check,
            "rows": rows,
            "form": OutcomeForm(),
            "tasks": {t.case_id: t for t in check.tasks.all()},
        },
    )
