from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import labels, services
from .calendar_files import read_calendar_file
from .models import CalendarDay, CalendarYear, PolicyVersion

# A year's schedule is a few dozen lines; anything bigger is not one.
MAX_CALENDAR_FILE_BYTES = 1024 * 1024


class CalendarImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Schedule file (.csv or .json)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CALENDAR_FILE_BYTES:
            raise forms.ValidationError(_("A schedule file is at most 1 MB."))
        return upload


class YearForm(forms.Form):
    year = forms.IntegerField(
        min_value=services.CALENDAR_FIRST_YEAR, max_value=services.CALENDAR_LAST_YEAR
    )


@login_required
def calendar_page(request):
    year, status = timezone.localtime().year, 200
    if "year" in request.GET:
        chosen = YearForm(request.GET)
        if chosen.is_valid():
            year = chosen.cleaned_data["year"]
        else:
            status = 400
            messages.error(
                request,
                _("Choose a year from %(first)d to %(last)d.")
                % {"first": services.CALENDAR_FIRST_YEAR, "last": services.CALENDAR_LAST_YEAR},
            )
    form = CalendarImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.has_perm("sla.add_calendarday"):
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows, years = read_calendar_file(upload.read(), upload.name)
                recomputed = services.import_calendar(
                    rows, years, actor=request.user, source=upload.name
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("Loaded %(years)s; %(n)d provisional deadlines are now final.")
                    % {"years": "、".join(str(y) for y in sorted(years)), "n": recomputed},
                )
                return redirect(f"{request.path}?year={min(years)}")
    days = CalendarDay.objects.filter(date__year=year)
    return render(
        request,
        "policy/calendar.html",
        {
            "year": year,
            "days": days,
            "loaded": CalendarYear.objects.filter(year=year).first(),
            "years": CalendarYear.objects.all(),
            "form": form,
            "missing": services.missing_years(now=timezone.now()),
        },
        status=status,
    )


@login_required
def policy_page(request):
    if not request.user.has_perm("sla.view_policyversion"):
        raise PermissionDenied
    policy = services.current_policy()
    return render(
        request,
        "policy/policy.html",
        {
            "policy": policy,
            "limits": [
                {
                    "name": rule.get_name_display(),
                    "applies_to": labels.limit_applies_to(rule),
                    "amount": rule.amount,
                    "unit": rule.get_unit_display(),
                    "source": labels.rule_source(rule.source),
                }
                for rule in (policy.limits.all() if policy else [])
            ],
            "ladder": [
                {
                    "level": level.level,
                    "after_hours": level.after_hours,
                    "position": labels.position_label(level.position),
                    "channel": labels.channel_label(level.channel),
                    "kinds": labels.kinds_label(level.kinds),
                }
                for level in (policy.escalation.all() if policy else [])
            ],
            "versions": PolicyVersion.objects.all()[:20],
        },
    )
