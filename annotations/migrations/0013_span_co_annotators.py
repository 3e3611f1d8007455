from django.conf import settings
from django.db import migrations, models

SHAPE = ("label", "start", "end")


def from_the_audit_trail(apps, schema_editor):
    """Count as co-annotators the people who already changed a span's label or
    offsets, as the audit trail records.
    """
    AuditEvent = apps.get_model("annotations", "AuditEvent")
    Span = apps.get_model("annotations", "Span")
    Through = Span.co_annotators.through
    reshaped = set()
    edits = AuditEvent.objects.filter(
        object_type="span", action="update", actor__isnull=False
    ).values_list("object_id", "actor_id", "before", "after")
    for span_id, actor_id, before, after in edits.iterator(chunk_size=2000):
        before, after = before or {}, after or {}
        if any(before.get(key) != after.get(key) for key in SHAPE):
            reshaped.add((span_id, actor_id))
    spans = sorted({span_id for span_id, _actor in reshaped})
    for index in range(0, len(spans), 2000):
        authors = dict(
            Span.objects.filter(pk__in=spans[index : index + 2000]).values_list(
                "pk", "created_by_id"
            )
        )
        Through.objects.bulk_create(
            [
                Through(span_id=span_id, user_id=actor_id)
                for span_id, actor_id in reshaped
                if span_id in authors and authors[span_id] != actor_id
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0012_article_search_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="span",
            name="co_annotators",
            field=models.ManyToManyField(
                blank=True,
                related_name="spans_co_annotated",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(from_the_audit_trail, migrations.RunPython.noop),
    ]
