import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0013_span_co_annotators"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Assignment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "assigned_at",
                    models.DateTimeField(default=django.utils.timezone.now),
                ),
            ],
            options={
                "ordering": ["article_id", "id"],
            },
        ),
        # The review order keeps an index while the unique one becomes partial.
        migrations.AddIndex(
            model_name="span",
            index=models.Index(
                fields=["article", "start", "end", "label"], name="span_position_idx"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="span",
            name="span_status_valid",
        ),
        migrations.RemoveConstraint(
            model_name="span",
            name="span_unique_per_article_label",
        ),
        migrations.AddField(
            model_name="article",
            name="adjudicated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="adjudicated_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="articles_adjudicated",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="article",
            name="annotation_mode",
            field=models.CharField(
                choices=[("shared", "Shared"), ("blind", "Blind")],
                db_default="shared",
                default="shared",
                max_length=6,
            ),
        ),
        migrations.AddField(
            model_name="span",
            name="blind",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("update", "Edited"),
                    ("delete", "Deleted"),
                    ("approve", "Approved"),
                    ("reject", "Rejected"),
                    ("assign", "Assigned"),
                    ("adjudicate", "Adjudicated"),
                    ("supersede", "Superseded"),
                ],
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="span",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("superseded", "Superseded"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pending", "approved", "rejected", "superseded"])
                ),
                name="span_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "superseded"), _negated=True),
                    ("blind", True),
                    _connector="OR",
                ),
                name="span_superseded_is_a_version",
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.UniqueConstraint(
                condition=models.Q(("blind", False)),
                fields=("article", "start", "end", "label"),
                name="span_unique_per_article_label",
                violation_error_message="This article already has a span with this label at these offsets.",
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.UniqueConstraint(
                condition=models.Q(("blind", True)),
                fields=("article", "start", "end", "label", "created_by"),
                name="span_unique_per_annotator_version",
                violation_error_message="Your version already has a span with this label at these offsets.",
            ),
        ),
        migrations.AddField(
            model_name="assignment",
            name="annotator",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="assignment",
            name="article",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assignments",
                to="annotations.article",
            ),
        ),
        migrations.AddField(
            model_name="assignment",
            name="assigned_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="article",
            name="annotators",
            field=models.ManyToManyField(
                blank=True,
                related_name="articles_assigned",
                through="annotations.Assignment",
                through_fields=("article", "annotator"),
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                fields=["annotator", "article"], name="assignment_annotator_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.UniqueConstraint(
                fields=("article", "annotator"),
                name="assignment_unique_per_article",
                violation_error_message="This annotator is already assigned to the article.",
            ),
        ),
    ]
