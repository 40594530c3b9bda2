"""Planner statistics kept fresh for the tables the work lists read a small part of
(kernel/statistics.py)."""

from django.db import migrations

from utilitydesk.kernel.statistics import analyze_often


class Migration(migrations.Migration):
    dependencies = [("cases", "0018_contact_intake_indexes")]

    operations = [
        analyze_often("cases_case"),
        analyze_often("sla_casedeadline"),
    ]
