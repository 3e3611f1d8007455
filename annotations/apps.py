from django.apps import AppConfig
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

# SQLite's side of the accent-free search: a trigger keeps search_text, the
# folded title and text, as PostgreSQL's keeps search_vector (migration 0005).
# Rebuilding a table on SQLite drops its triggers, so they are put back after
# every migrate rather than once in a migration.
SQLITE_SEARCH_TRIGGERS = [
    """
    CREATE TRIGGER IF NOT EXISTS annotations_article_search_text_insert
    AFTER INSERT ON annotations_article
    BEGIN
        UPDATE annotations_article
        SET search_text = unaccent(NEW.title || ' ' || NEW.text)
        WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS annotations_article_search_text_update
    AFTER UPDATE OF title, text ON annotations_article
    BEGIN
        UPDATE annotations_article
        SET search_text = unaccent(NEW.title || ' ' || NEW.text)
        WHERE id = NEW.id;
    END
    """,
    """
    UPDATE annotations_article
    SET search_text = unaccent(title || ' ' || text)
    WHERE search_text IS NULL
    """,
]


def _add_sqlite_functions(sender, connection, **kwargs):
    """Give SQLite the ``unaccent`` function PostgreSQL's extension provides."""
    if connection.vendor == "sqlite":
        from .text import fold_accents

        connection.connection.create_function(
            "unaccent",
            1,
            lambda value: None if value is None else fold_accents(value),
            deterministic=True,
        )


def _add_sqlite_search_triggers(sender, using, **kwargs):
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if "annotations_article" not in connection.introspection.table_names(cursor):
            return
        columns = connection.introspection.get_table_description(
            cursor, "annotations_article"
        )
        # Migrated back before the column: nothing to keep.
        if "search_text" not in {column.name for column in columns}:
            return
        for statement in SQLITE_SEARCH_TRIGGERS:
            cursor.execute(statement)


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Newsroom annotations"

    def ready(self):
        connection_created.connect(_add_sqlite_functions)
        post_migrate.connect(_add_sqlite_search_triggers, sender=self)
