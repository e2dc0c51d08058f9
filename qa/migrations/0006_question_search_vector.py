# The questions' search vector stored in the row (issue 23, point 1): the admin's search walks
# the queue's index for a common word and tests each question it passes; with the vector
# stored, that test reads it instead of parsing the title and text again. Like the library's
# and the forum's, the column is written by save() and indexed on PostgreSQL only (SQLite,
# `make run`'s default, searches with `icontains`).

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

FILL_SQL = (
    "UPDATE qa_question SET search_vector = to_tsvector('english'::regconfig, "
    "COALESCE(title, '') || ' ' || COALESCE(text, ''))"
)


def on_postgresql(operation):
    """`operation` for the model state everywhere, but run only on PostgreSQL (its index,
    GIN, exists nowhere else)."""

    class OnPostgreSQL(operation):
        def database_forwards(self, app_label, schema_editor, from_state, to_state):
            if schema_editor.connection.vendor == "postgresql":
                super().database_forwards(app_label, schema_editor, from_state, to_state)

        def database_backwards(self, app_label, schema_editor, from_state, to_state):
            if schema_editor.connection.vendor == "postgresql":
                super().database_backwards(app_label, schema_editor, from_state, to_state)

    return OnPostgreSQL


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0005_question_lesson_queue_index"),
    ]

    operations = [
        on_postgresql(migrations.RemoveIndex)(
            model_name="question",
            name="qa_question_search",
        ),
        migrations.AddField(
            model_name="question",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        on_postgresql(migrations.AddIndex)(
            model_name="question",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="qa_question_search"
            ),
        ),
    ]
