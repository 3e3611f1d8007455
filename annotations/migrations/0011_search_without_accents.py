from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

# PostgreSQL only: the search document folds accents ("développement" is
# indexed as "developpement"), and ArticleQuerySet.search folds the query the
# same way. SQLite gets an unaccent() function from the app (apps.py).
TRIGGER = """
CREATE OR REPLACE FUNCTION annotations_article_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := to_tsvector(
        'simple'::regconfig,
        {fold}(COALESCE(NEW.title, '') || ' ' || COALESCE(NEW.text, ''))
    );
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

UPDATE annotations_article SET title = title;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER.format(fold="unaccent"))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER.format(fold=""))


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0010_article_language_lowercase"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(forward, backward),
    ]
