"""The vocabularies both the models and the permission rules speak.

A leaf module: ``permissions`` reads roles, span statuses and token scopes
from here rather than from ``models``, so ``models`` can ask ``permissions``
who sees what without an import cycle.
"""

from django.db import models
from django.utils.translation import gettext_lazy


class Role(models.TextChoices):
    """Roles are Django groups; admins are staff users, not a group."""

    EDITOR = "editor", gettext_lazy("Editor")
    REVIEWER = "reviewer", gettext_lazy("Reviewer")
    CONSUMER = "consumer", gettext_lazy("Data consumer")


class SpanStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Pending")
    APPROVED = "approved", gettext_lazy("Approved")
    REJECTED = "rejected", gettext_lazy("Rejected")
    # Proposed by the suggesters; accepting makes it an ordinary pending span.
    SUGGESTED = "suggested", gettext_lazy("Suggested")
    # A suggestion turned down: kept for the precision figures, shown nowhere.
    DISMISSED = "dismissed", gettext_lazy("Dismissed")
    # An annotator's own version once its article is adjudicated: kept for
    # agreement and feedback, never exported or shown to consumers.
    SUPERSEDED = "superseded", gettext_lazy("Superseded")


# Spans no person has taken on: not pending, not exported, not reviewed.
SUGGESTION_STATUSES = (SpanStatus.SUGGESTED, SpanStatus.DISMISSED)


class ApiTokenScope(models.TextChoices):
    READ = "read", gettext_lazy("Read: everything the user may read, no changes")
    WRITE = "write", gettext_lazy("Write: everything the user may do")
