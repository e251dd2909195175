"""Indexes of the catalogue search, on PostgreSQL only (SQLite searches search_document with LIKE).

* GIN on ``search_vector``: the full-text match of matters.search.
* pg_trgm GIN on ``name``: ``name ILIKE '%…%'`` (admin and catalogue name filters) stays an
  index scan at millions of rows; with a C.UTF-8 or zh_CN.UTF-8 ctype Chinese characters are
  word characters for pg_trgm.

Neither index is part of the model state, so ``makemigrations`` never sees a difference.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS matter_search_vector_gin ON matters_matter USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS matter_name_trgm ON matters_matter USING gin (name gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS matter_name_trgm",
    "DROP INDEX IF EXISTS matter_search_vector_gin",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("matters", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
