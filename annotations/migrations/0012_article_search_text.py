from django.db import migrations, models

# On SQLite a trigger fills the column; it is (re)created after every migrate,
# since SQLite drops a table's triggers when a migration rebuilds it (apps.py).


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0011_search_without_accents"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_text",
            field=models.TextField(editable=False, null=True),
        ),
    ]
