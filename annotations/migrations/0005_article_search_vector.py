import django.contrib.postgres.search
from django.db import migrations

# PostgreSQL only: a trigger keeps the document current on every write of the
# title or text (whatever writes it), and a GIN index serves the searches.
# Other databases keep the column empty and search by substring.
FORWARD = """
CREATE FUNCTION annotations_article_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := to_tsvector(
        'simple'::regconfig, COALESCE(NEW.title, '') || ' ' || COALESCE(NEW.text, '')
    );
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER annotations_article_search_vector
    BEFORE INSERT OR UPDATE OF title, text ON annotations_article
    FOR EACH ROW EXECUTE FUNCTION annotations_article_search_vector();

UPDATE annotations_article SET title = title;

CREATE INDEX annotations_article_search_gin
    ON annotations_article USING gin (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS annotations_article_search_gin;
DROP TRIGGER IF EXISTS annotations_article_search_vector ON annotations_article;
DROP FUNCTION IF EXISTS annotations_article_search_vector();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0004_datasets"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
