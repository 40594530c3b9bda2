import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_protect

from utilitydesk.customers.models import CustomerType
from utilitydesk.privacy.access import Action as AccessAction
from utilitydesk.privacy.access import record_access
from utilitydesk.privacy.web import personal_data_view

from . import selectors, services
from .models import Member, Survey, Topic


class SurveyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    sample_size = forms.IntegerField(
        label=gettext_lazy("Sample size"), min_value=1, max_value=100_000
    )
    seed = forms.CharField(label=gettext_lazy("Seed (optional)"), required=False, max_length=40)


SCORE_LABELS = [
    (5, gettext_lazy("Very satisfied")),
    (4, gettext_lazy("Satisfied")),
    (3, gettext_lazy("Neutral")),
    (2, gettext_lazy("Dissatisfied")),
    (1, gettext_lazy("Very dissatisfied")),
]


def _answers(post) -> dict[int, str]:
    return {int(k[1:]): v for k, v in post.items() if k.startswith("q") and k[1:].isdigit()}


@login_required
@permission_required("surveys.view_survey", raise_exception=True)
def survey_list(request):
    """Leaders read the surveys and their reports; the service office draws samples."""
    may_run = request.user.has_perm("surveys.run_survey")
    if request.method == "POST" and not may_run:
        raise PermissionDenied
    form = SurveyForm(request.POST or None) if may_run else None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            survey = services.create_survey(
                d["title"], d["sample_size"], d["seed"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect("surveys:detail", pk=survey.pk)
    page = Paginator(Survey.objects.all(), 25).get_page(request.GET.get("page"))
    return render(request, "surveys/list.html", {"form": form, "page": page, "surveys": page})


@login_required
@permission_required("surveys.view_survey", raise_exception=True)
@personal_data_view
def survey_detail(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)

    if not request.user.has_perm("surveys.run_survey"):
        # Leaders read the report (no customer in it); the sample and its links stay with
        # the people who run the survey.
        if request.GET.get("export"):
            return _report_file(request, survey)
        return render(
            request,
            "surveys/detail.html",
            {
                "survey": survey,
                "report": selectors.report(survey),
                "topic_labels": dict(Topic.choices),
                "report_only": True,
                **_labels(),
            },
        )
    if request.GET.get("export"):
        return _report_file(request, survey)
    page = Paginator(survey.members.select_related("customer"), 50).get_page(
        request.GET.get("page")
    )
    record_access(
        request.user,
        AccessAction.LIST,
        [m.customer_id for m in page],
        request=request,
        detail={"survey": survey.pk},
    )
    links = {
        m.pk: request.build_absolute_uri(reverse("survey_public", args=[services.link_token(m)]))
        for m in page
    }
    return render(
        request,
        "surveys/detail.html",
        {
            "survey": survey,
            "report": selectors.report(survey),
            "page": page,
            "links": links,
            "topic_labels": dict(Topic.choices),
            "member_strata": {m.pk: _stratum_label(m.stratum) for m in page},
            **_labels(),
        },
    )


def _labels() -> dict:

    return {
        "type_labels": dict(CustomerType.choices),
        "via_labels": {"phone": _("by phone"), "online": _("online")},
    }


def _stratum_label(stratum: str) -> str:
    """ "district|resident" as people read it: 东城区 · 居民."""

    district, _sep, customer_type = stratum.partition("|")
    return f"{district} · {dict(CustomerType.choices).get(customer_type, customer_type)}"


def _report_file(request, survey: Survey) -> HttpResponse:
    record_access(request.user, AccessAction.EXPORT, request=request, detail={"survey": survey.pk})
    stream = io.BytesIO()
    selectors.report_xlsx(survey, stream)
    response = HttpResponse(
        stream.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}.xlsx"'
    return response


@login_required
@permission_required("surveys.run_survey", raise_exception=True)
@personal_data_view
def phone_answers(request, pk: int, member_id: int):
    member = get_object_or_404(
        Member.objects.select_related("survey", "customer"), pk=member_id, survey_id=pk
    )
    if request.method == "GET":
        record_access(
            request.user,
            AccessAction.VIEW,
            [member.customer_id],
            request=request,
            detail={"survey": pk},
        )
    if request.method == "POST":
        try:
            services.record_answers(member.pk, _answers(request.POST), "phone", actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Answers recorded."))
            return redirect("surveys:detail", pk=pk)
    return render(
        request,
        "surveys/answer.html",
        {
            "member": member,
            "questions": member.survey.questions.all(),
            "phone": True,
            "score_labels": SCORE_LABELS,
        },
    )


@csrf_protect
def public_answer(request, token: str):
    """The customer's page from the link: no login, one use, signed, expires."""
    try:
        member = services.member_for_token(token)
    except services.LinkError as exc:
        return render(
            request, "surveys/public_closed.html", {"message": str(exc)}, status=exc.status
        )
    if request.method == "POST":
        try:
            services.record_answers(member.pk, _answers(request.POST), "online")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return render(
                request, "surveys/public_closed.html", {"message": _("Thank you for your answers!")}
            )
    return render(
        request,
        "surveys/answer.html",
        {
            "member": member,
            "questions": member.survey.questions.all(),
            "public": True,
            "score_labels": SCORE_LABELS,
        },
    )
