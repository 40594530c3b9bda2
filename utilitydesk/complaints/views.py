from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.cases.selectors import visible_cases

from . import services
from .forms import AppealForm, ClassifyForm, DetermineForm, RuleForm
from .models import Appeal, Complaint

FORMS = {
    "classify": ClassifyForm,
    "determine": DetermineForm,
    "appeal": AppealForm,
    "rule": RuleForm,
}


def _form_errors(form) -> str:
    return " ".join(
        f"{form.fields[name].label or ''} {' '.join(errors)}".strip()
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


@login_required
@require_POST
def act(request, pk: int, action: str):
    complaint = (
        Complaint.objects.filter(pk=pk, case__in=visible_cases(request.user))
        .select_related("case")
        .first()
    )
    if complaint is None or action not in FORMS:
        raise Http404
    if action == "classify" and not services.may_classify(request.user):
        raise PermissionDenied(
            _(
                "Only the service centre and the service office set a complaint's category and level."
            )
        )
    form = FORMS[action](request.POST)
    back = redirect("cases:detail", number=complaint.case.number)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return back
    d = form.cleaned_data
    try:
        if action == "classify":
            services.classify(request.user, pk, d["category"], d["level"])
        elif action == "determine":
            services.determine(request.user, pk, **d)
        elif action == "appeal":
            services.submit_appeal(request.user, pk, d["reason"])
        else:
            appeal = Appeal.objects.filter(pk=d["appeal"], complaint=complaint).first()
            if appeal is None:
                raise Http404
            services.rule_appeal(request.user, appeal.pk, d["upheld"], d["ruling"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Complaint.DoesNotExist:
        raise Http404 from None
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You are not allowed to do this."))
    else:
        messages.success(request, _("Complaint updated."))
    return back
