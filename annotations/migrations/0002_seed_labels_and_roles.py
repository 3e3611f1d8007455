from django.db import migrations

# Colours are dark enough for white text (WCAG AA contrast, 4.5:1 or more)
# and far apart in hue, so the four labels stay distinct for most readers.
LABELS = [
    ("Quote", "quote", "#1d4e89", "q", "Words attributed to a person or body.", 10),
    ("Claim", "claim", "#a4161a", "c", "A checkable statement of fact.", 20),
    (
        "Entity",
        "entity",
        "#2b6a30",
        "e",
        "A person, organisation, place or other named thing.",
        30,
    ),
    (
        "Opinion",
        "opinion",
        "#6a3d9a",
        "o",
        "A judgement or view, not a checkable fact.",
        40,
    ),
]
ROLES = ["editor", "reviewer", "consumer"]


def seed(apps, schema_editor):
    Label = apps.get_model("annotations", "Label")
    Group = apps.get_model("auth", "Group")
    for name, slug, colour, shortcut, description, order in LABELS:
        Label.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "colour": colour,
                "shortcut": shortcut,
                "description": description,
                "order": order,
            },
        )
    for role in ROLES:
        Group.objects.get_or_create(name=role)


def unseed(apps, schema_editor):
    Label = apps.get_model("annotations", "Label")
    Group = apps.get_model("auth", "Group")
    Label.objects.filter(
        slug__in=[row[1] for row in LABELS], spans__isnull=True
    ).delete()
    Group.objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
