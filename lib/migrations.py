"""Migration operations that change the schema on PostgreSQL only.

Some indexes exist only on PostgreSQL (GIN: full text, trigrams). The model state keeps them
on every database, so that `makemigrations` sees no difference, but SQLite (`make run`'s
default) builds none: its searches are plain `icontains`.
"""

from django.db import migrations


class PostgreSQLOnly:
    """Runs the operation's schema change only when the database is PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)  # type: ignore[misc]

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)  # type: ignore[misc]


class AddIndexOnPostgreSQL(PostgreSQLOnly, migrations.AddIndex):
    pass


class RemoveIndexOnPostgreSQL(PostgreSQLOnly, migrations.RemoveIndex):
    pass
