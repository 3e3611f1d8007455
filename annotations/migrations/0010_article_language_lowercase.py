from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Lower, Replace

import annotations.models


def lowercase(apps, schema_editor):
    # Codes were stored as typed ("pt-BR"); now one lowercase form is kept.
    Article = apps.get_model("annotations", "Article")
    stored = Lower(Replace("language", Value("_"), Value("-")))
    Article.objects.exclude(language=stored).update(language=stored)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0009_apitoken_read_scope_wording"),
    ]

    operations = [
        migrations.AlterField(
            model_name="article",
            name="language",
            field=annotations.models.LanguageCodeField(
                default="fr",
                max_length=16,
                validators=[annotations.models.language_validator],
            ),
        ),
        migrations.RunPython(lowercase, migrations.RunPython.noop),
    ]
