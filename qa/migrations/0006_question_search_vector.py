# The questions' search vector stored in the row (issue 23, point 1): the admin's search walks
# the queue's index for a common word and tests each question it passes; with the vector
# stored, that test reads it instead of parsing the title and text again. Like the library's
# and the forum's, the column is written by save() and indexed on PostgreSQL only (SQLite,
# `make run`'s default, searches with `icontains`).

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

from lib.migrations import AddIndexOnPostgreSQL, RemoveIndexOnPostgreSQL

FILL_SQL = (
    "UPDATE qa_question SET search_vector = to_tsvector('english'::regconfig, "
    "COALESCE(title, '') || ' ' || COALESCE(text, ''))"
)


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0005_question_lesson_queue_index"),
    ]

    operations = [
        RemoveIndexOnPostgreSQL(
            model_name="question",
            name="qa_question_search",
        ),
        migrations.AddField(
            model_name="question",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        AddIndexOnPostgreSQL(
            model_name="question",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="qa_question_search"
            ),
        ),
    ]
