from django.conf import settings
from django.db import migrations, models


def bound_old_reports(apps, schema_editor):
    """Reports written before reports were bounded keep the first reasons of each column
    and counts for the rest, so the import page never loads a huge report again."""
    ImportJob = apps.get_model("customers", "ImportJob")
    limit = settings.IMPORT_REPORT_REASONS_PER_COLUMN
    for pk in ImportJob.objects.values_list("pk", flat=True):
        report = ImportJob.objects.filter(pk=pk).values_list("report", flat=True).first()
        if not isinstance(report, dict):
            continue
        rejected = report.get("rejected") or []
        ignored = report.get("ignored_columns") or []
        if len(rejected) <= limit and len(ignored) <= limit:
            continue
        kept, counts, rows = [], {}, set()
        for error in rejected:
            column = error.get("column", "")
            if counts.get(column, 0) < limit:
                kept.append(error)
            counts[column] = counts.get(column, 0) + 1
            rows.add(error.get("row"))
        report["rejected"] = kept
        report["rejected_by_column"] = counts
        report["rejected_rows"] = report.get("rejected_rows") or len(rows)
        report["ignored_columns"] = ignored[:limit]
        ImportJob.objects.filter(pk=pk).update(report=report)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_customer_long_term_since"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="file deleted at"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="started at"),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="file",
            field=models.FileField(blank=True, upload_to="imports/%Y/%m/", verbose_name="file"),
        ),
        migrations.RunPython(bound_old_reports, migrations.RunPython.noop),
    ]
