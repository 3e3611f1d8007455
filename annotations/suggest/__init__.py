"""Suggestions: quotes with their speaker, entities, claims and opinions
proposed by rules and a statistical model before anyone selects text.

``suggest_text(text, language, gazetteer=…)`` returns a list of
``Suggestion`` for one canonical article text; ``suggest_texts`` does many
in batches. One module a suggester (``quotes``, ``entities``, ``claims``,
``opinions``), word lists in ``data/``, the spaCy pipelines in ``pipeline``,
the measurement against gold spans in ``evaluation``.
"""

from .base import Suggestion
from .engine import suggest_text, suggest_texts

__all__ = ["Suggestion", "suggest_text", "suggest_texts"]
