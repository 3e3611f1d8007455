import django.core.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0012_article_search_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="span",
            name="span_status_valid",
        ),
        migrations.RemoveConstraint(
            model_name="span",
            name="span_unique_per_article_label",
        ),
        migrations.AddField(
            model_name="span",
            name="corrected",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="span",
            name="origin",
            field=models.CharField(
                default="manual",
                max_length=100,
                validators=[
                    django.core.validators.RegexValidator(
                        "^(manual|rule:[a-z0-9][a-z0-9_.-]*|model:[A-Za-z0-9_.-]+@[A-Za-z0-9_.+-]+)$",
                        "An origin is “manual”, “rule:<name>” or “model:<name>@<version>”.",
                    )
                ],
            ),
        ),
        migrations.AddField(
            model_name="span",
            name="score",
            field=models.FloatField(blank=True, null=True),
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
                    ("suggest", "Suggestions made"),
                    ("accept", "Suggestion accepted"),
                    ("dismiss", "Suggestion dismissed"),
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
                    ("suggested", "Suggested"),
                    ("dismissed", "Dismissed"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="span",
            index=models.Index(
                fields=["article", "start", "end", "label"], name="span_position_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="span",
            index=models.Index(
                fields=["origin", "status"], name="span_origin_status_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        ["pending", "approved", "rejected", "suggested", "dismissed"],
                    )
                ),
                name="span_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("origin", "manual"),
                    ("origin__startswith", "rule:"),
                    ("origin__startswith", "model:"),
                    _connector="OR",
                ),
                name="span_origin_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("score__isnull", True),
                    models.Q(("score__gte", 0), ("score__lte", 1)),
                    _connector="OR",
                ),
                name="span_score_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["suggested", "dismissed"]), _negated=True),
                    models.Q(
                        ("score__isnull", False),
                        models.Q(("origin", "manual"), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="span_suggestion_has_origin_and_score",
            ),
        ),
        migrations.AddConstraint(
            model_name="span",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("status__in", ["suggested", "dismissed"]), _negated=True
                ),
                fields=("article", "start", "end", "label"),
                name="span_unique_per_article_label",
                violation_error_message="This article already has a span with this label at these offsets.",
            ),
        ),
    ]
