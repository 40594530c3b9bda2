"""Planner statistics kept fresh for the tables the work lists read a small part of
(kernel/statistics.py)."""

from django.db import migrations

from utilitydesk.kernel.statistics import analyze_often


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_message_claim_token_and_error_code")]

    operations = [
        analyze_often("notifications_message"),
    ]
