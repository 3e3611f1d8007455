from django.db import migrations, models

# The four seeded labels in French; the English words stay those of 0002.
FRENCH = {
    "quote": ("Citation", "Propos attribués à une personne ou à une organisation."),
    "claim": ("Affirmation", "Énoncé factuel que l’on peut vérifier."),
    "entity": ("Entité", "Personne, organisation, lieu ou autre nom propre."),
    "opinion": ("Opinion", "Jugement ou point de vue, et non un fait vérifiable."),
}


def name_in_each_language(apps, schema_editor):
    Label = apps.get_model("annotations", "Label")
    for label in Label.objects.all():
        # Every label so far was named in English, seeded or added by an admin.
        label.name_en = label.name_en or label.name
        label.description_en = label.description_en or label.description
        if label.slug in FRENCH and not label.name_fr:
            label.name_fr, label.description_fr = FRENCH[label.slug]
        label.save(
            update_fields=["name_en", "description_en", "name_fr", "description_fr"]
        )


class Migration(migrations.Migration):
    dependencies = [("annotations", "0005_article_search_vector")]

    operations = [
        migrations.AddField(
            model_name="label",
            name="name_en",
            field=models.CharField(max_length=50, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="label",
            name="name_fr",
            field=models.CharField(max_length=50, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="label",
            name="description_en",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="label",
            name="description_fr",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.RunPython(name_in_each_language, migrations.RunPython.noop),
    ]
