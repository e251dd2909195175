"""Indexes and storage of the catalogue search, on PostgreSQL only (SQLite needs none).

* GIN on ``search_vector``: the full-text match of matters.search.
* pg_trgm GIN on ``UPPER(name)``, the expression Django's ``name__icontains`` compares (admin
  search, name filters): stays an index scan at millions of rows (for 3 characters or more);
  with a C.UTF-8 or zh_CN.UTF-8 ctype Chinese characters are word characters for pg_trgm.
* ``search_vector`` and ``name`` stay inside the row (STORAGE MAIN; the vector lz4-compressed
  where the server has lz4): ranking reads both for every matching row, and a value moved out
  to TOAST costs an index lookup per row. With the default storage a 1.4 kB vector went to
  TOAST, and when it was kept inline the toaster pushed ``name`` out instead.

Nothing here is part of the model state, so ``makemigrations`` never sees a difference.
"""

from django.db import DatabaseError, migrations, transaction

FORWARD = [
    "ALTER TABLE matters_matter ALTER COLUMN search_vector SET STORAGE MAIN",
    "ALTER TABLE matters_matter ALTER COLUMN name SET STORAGE MAIN",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS matter_search_vector_gin ON matters_matter USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS matter_name_upper_trgm ON matters_matter "
    "USING gin ((UPPER(name::text)) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS matter_name_upper_trgm",
    "DROP INDEX IF EXISTS matter_search_vector_gin",
    "ALTER TABLE matters_matter ALTER COLUMN name SET STORAGE EXTENDED",
    "ALTER TABLE matters_matter ALTER COLUMN search_vector SET STORAGE EXTENDED",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


def _lz4(apps, schema_editor):
    """lz4 decompresses several times faster than the default pglz; optional (a server
    built without it keeps pglz)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("ALTER TABLE matters_matter ALTER COLUMN search_vector SET COMPRESSION lz4")
    except DatabaseError:
        pass


class Migration(migrations.Migration):
    dependencies = [
        ("matters", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
        migrations.RunPython(_lz4, migrations.RunPython.noop, elidable=False),
    ]
