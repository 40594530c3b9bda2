from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from utilitydesk.cases.selectors import visible_cases
from utilitydesk.org.models import OrgUnit

from . import services
from .models import Appeal, Complaint


@login_required
@require_POST
def act(request, pk: int, action: str):
    complaint = (
        Complaint.objects.filter(pk=pk, case__in=visible_cases(request.user))
        .select_related("case")
        .first()
    )
    if complaint is None:
        raise Http404
    post = request.POST
    try:
        if action == "classify":
            services.classify(
                request.user, pk, post.get("category", ""), int(post.get("level") or 0)
            )
        elif action == "determine":
            unit = OrgUnit.objects.filter(pk=post.get("responsible_unit") or 0).first()
            person = get_user_model().objects.filter(pk=post.get("responsible_staff") or 0).first()
            services.determine(
                request.user,
                pk,
                responsibility=post.get("responsibility", ""),
                valid=post.get("valid") == "1",
                responsible_unit=unit,
                responsible_staff=person,
                corrective_actions=post.get("corrective_actions", ""),
            )
        elif action == "appeal":
            services.submit_appeal(request.user, pk, post.get("reason", ""))
        elif action == "rule":
            appeal = Appeal.objects.filter(pk=post.get("appeal") or 0, complaint=complaint).first()
            if appeal is None:
                raise Http404
            services.rule_appeal(
                request.user, appeal.pk, post.get("upheld") == "1", post.get("ruling", "")
            )
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You are not allowed to do this."))
    else:
        messages.success(request, _("Complaint updated."))
    return redirect("cases:detail", number=complaint.case.number)
