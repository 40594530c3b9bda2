"""Case search by address fragment: cases at a known premises are found through the
premises' own trigram index; the others (callers with no account) through this partial
trigram index on PostgreSQL. Partial, so the sweeper's updates of the millions of cases
with premises never touch it. SQLite scans."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS cases_case_address_trgm "
        "ON cases_case USING gin (address_text gin_trgm_ops) WHERE premises_id IS NULL"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS cases_case_address_trgm")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_search_indexes")]
    operations = [migrations.RunPython(create_index, drop_index)]
