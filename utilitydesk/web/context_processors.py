from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utilitydesk.notifications.selectors import unread_count
from utilitydesk.policy import services as policy


def shell(request):
    """The navigation of the agent shell, limited to what the user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [(_("Home"), reverse("core:home"), "core:home", None)]
    candidates = [
        (_("New contact"), reverse("cases:new"), "cases:new", "cases.add_contact"),
        (_("Cases"), reverse("cases:list"), "cases:list", "cases.view_case"),
        (
            _("Contacts I took"),
            reverse("callbacks:followed"),
            "callbacks:followed",
            "cases.add_contact",
        ),
        (_("WeChat messages"), reverse("wechat:messages"), "wechat:messages", "cases.add_contact"),
        (_("My work orders"), reverse("field:list"), "field:list", "cases.handle_case"),
        (
            _("Major faults"),
            reverse("outages:faults"),
            "outages:faults",
            "outages.view_majorfault",
        ),
        (
            _("Supply interruptions"),
            reverse("outages:interruptions"),
            "outages:interruptions",
            "outages.view_interruption",
        ),
        (
            _("Duty and handover"),
            reverse("duty:handover"),
            "duty:handover",
            "duty.view_dutylogentry",
        ),
        (_("Callbacks"), reverse("callbacks:queue"), "callbacks:queue", "callbacks.make_callback"),
        (
            _("Failed notices"),
            reverse("notices:failed"),
            "notices:failed",
            "notifications.work_failed_notices",
        ),
        (
            _("12345 transfers"),
            reverse("exchange:overview"),
            "exchange:overview",
            "exchange.view_exchange",
        ),
        (
            _("Spot checks"),
            reverse("callbacks:spot_checks"),
            "callbacks:spot_checks",
            "callbacks.run_spot_check",
        ),
        (
            _("Complaint register"),
            reverse("complaints:register"),
            "complaints:register",
            "complaints.view_complaint",
        ),
        (
            _("KPIs"),
            reverse("kpis:overview"),
            "kpis:overview",
            "callbacks.view_rates",
        ),
        (
            _("Service rates"),
            reverse("kpis:rates"),
            "kpis:rates",
            "callbacks.view_rates",
        ),
        (_("Reports"), reverse("reports:list"), "reports:list", "reports.view_report"),
        (
            _("Indoor temperature report"),
            reverse("temperature_reports:report"),
            "temperature_reports:report",
            "temperature.view_temperature_report",
        ),
        (
            _("Monitoring points"),
            reverse("temperature_points:list"),
            "temperature_points:list",
            "temperature.view_monitoringpoint",
        ),
        (
            _("Thermometer register"),
            reverse("temperature_points:instruments"),
            "temperature_points:instruments",
            "temperature.view_instrument",
        ),
        (
            _("Temperature refunds"),
            reverse("temperature_refunds:list"),
            "temperature_refunds:list",
            "temperature.view_refundcredit",
        ),
        (
            _("Satisfaction surveys"),
            reverse("surveys:list"),
            "surveys:list",
            "surveys.view_survey",
        ),
        (_("Customers"), reverse("customers:list"), "customers:list", "customers.view_customer"),
        (_("Bills"), reverse("billing:bills"), "billing:bills", "billing.view_bill"),
        (
            _("Counter payments"),
            reverse("payments:counter"),
            "payments:counter",
            "payments.take_payment",
        ),
        (_("Arrears"), reverse("arrears:list"), "arrears:list", "arrears.view_arrearsrecord"),
        (
            _("Stop / resume heat applications"),
            reverse("arrears:applications"),
            "arrears:applications",
            "arrears.record_heat_application",
        ),
        (_("Supply network"), reverse("network:tree"), "network:tree", "area.view_substation"),
        (
            _("Import"),
            reverse("customers:import"),
            "customers:import",
            "customers.import_customers",
        ),
        (
            _("Grade approvals"),
            reverse("customers:grade_approvals"),
            "customers:grade_approvals",
            "customers.approve_grade_change",
        ),
    ]
    items += [c for c in candidates if user.has_perm(c[3])]
    items += [
        c
        for c in [
            (_("Service policy"), reverse("sla:policy"), "sla:policy", "sla.view_policyversion"),
            (
                _("Working-day calendar"),
                reverse("sla:calendar"),
                "sla:calendar",
                "sla.view_calendarday",
            ),
        ]
        if user.has_perm(c[3])
    ]
    if user.is_staff:
        items.append((_("Administration"), reverse("admin:index"), "admin:index", None))
    match = getattr(request, "resolver_match", None)
    current = f"{match.namespace}:{match.url_name}" if match else ""
    nav = [
        {"label": label, "url": url, "active": current == name} for label, url, name, _p in items
    ]

    context = {"nav_items": nav, "inbox_unread": unread_count(user)}
    if user.has_perm("cases.add_contact"):
        context["hotline"] = policy.hotline_hours(now=timezone.now())
    if user.has_perm("sla.add_calendarday"):
        context["calendar_missing_years"] = policy.missing_years(now=timezone.now())
    return context
