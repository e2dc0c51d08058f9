# A stored search vector for library entries, so that a search ranks stored vectors instead
# of building one per entry per request (issue 9). PostgreSQL only, like the forum's.

import django.contrib.postgres.search
from django.db import migrations

FILL_SQL = (
    "UPDATE qa_libraryentry SET search_vector = "
    "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(question, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(answer_plain, '')), 'C')"
)


def index_entries(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_SQL)
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS qa_libraryentry_search_gin "
            "ON qa_libraryentry USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS qa_libraryentry_search_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="libraryentry",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(index_entries, drop_index),
    ]
