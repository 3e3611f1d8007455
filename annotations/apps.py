from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _add_sqlite_functions(sender, connection, **kwargs):
    """Give SQLite the ``unaccent`` function PostgreSQL's extension provides.

    Search folds accents on both databases (models.ArticleQuerySet.search).
    """
    if connection.vendor == "sqlite":
        from .text import fold_accents

        connection.connection.create_function(
            "unaccent",
            1,
            lambda value: None if value is None else fold_accents(value),
            deterministic=True,
        )


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Newsroom annotations"

    def ready(self):
        connection_created.connect(_add_sqlite_functions)
