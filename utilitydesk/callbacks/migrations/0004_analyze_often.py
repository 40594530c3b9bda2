"""Planner statistics kept fresh for the tables the work lists read a small part of
(kernel/statistics.py)."""

from django.db import migrations

from utilitydesk.kernel.statistics import analyze_often


class Migration(migrations.Migration):
    dependencies = [("callbacks", "0003_view_rates_permission")]

    operations = [
        analyze_often("callbacks_callbacktask"),
    ]
