"""Suggestions in the browser: upload an article, walk its suggestions with n,
accept with y, dismiss with x, nudge one before accepting it, and read the
result through the API. The French model runs for real (loaded once)."""

import re

import pytest

from annotations import services
from annotations.models import Span

from .conftest import log_in

pytestmark = pytest.mark.e2e

# Written for these tests.
TEXT = (
    "Le conseil municipal de Villebrune a adopté jeudi un budget de 14 millions "
    "d’euros, en hausse de 6 % sur un an.\n\n"
    "« Nous allons rénover toutes les écoles avant 2028 », a déclaré la maire "
    "Claire Fontaine devant les élus.\n\n"
    "Pour l’opposition, il faut d’abord réparer le pont de la Vienne, fermé "
    "depuis mars."
)
CLAIM = TEXT.split("\n\n")[0]
QUOTE = "Nous allons rénover toutes les écoles avant 2028"
OPINION = TEXT.split("\n\n")[2]
LOAD = 120_000  # the first suggestion of a process loads the model


@pytest.fixture
def suggest_on_upload(settings):
    settings.SUGGEST_ON_UPLOAD = True


def current(page) -> str:
    """Return the text of the current span (the one the keys act on)."""
    return page.evaluate(
        "() => { const m = document.querySelector('#article-text mark.current-span');"
        " return m ? m.textContent : null; }"
    )


def wait_current(page, words):
    page.wait_for_function(
        "w => { const m = document.querySelector('#article-text mark.current-span');"
        " return !!m && m.closest('mark[data-status]').textContent.startsWith(w)"
        " && m.dataset.status === 'suggested'; }",
        arg=words,
    )


def announced(page, words):
    page.wait_for_function(
        "w => document.getElementById('sr-announce').textContent.includes(w)",
        arg=words,
    )


def mark_of(words, label):
    start = TEXT.index(words)
    return (
        f'#article-text mark[data-label="{label}"][data-from="{start}"]'
        f'[data-to="{start + len(words)}"]'
    )


def stored(page, article_id):
    response = page.request.get(f"/api/v1/spans/?article={article_id}")
    assert response.status == 200
    return {span["text"]: span for span in response.json()["results"]}


def test_it_uploads_then_accepts_dismisses_and_nudges_suggestions_by_key(
    page, alice, suggest_on_upload
):
    log_in(page, "alice")
    page.goto("/articles/new/")
    page.fill("input[name=title]", "Budget de Villebrune")
    page.fill("textarea[name=text]", TEXT)
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"/articles/\d+/$"), timeout=LOAD)
    article_id = int(re.search(r"/articles/(\d+)/", page.url).group(1))

    # The suggestions are drawn, dotted, with their origin and score.
    suggested = page.locator('#article-text mark[data-status="suggested"]')
    assert suggested.count() >= 5
    quote = page.locator(mark_of(QUOTE, "quote"))
    assert quote.get_attribute("title") == (
        "Quote · suggestion · rule:quote-verb-after · score 0.90"
    )
    assert quote.evaluate("m => getComputedStyle(m).outlineStyle") == "dotted"
    assert "Article saved with 5 suggestions" in page.inner_text("ul.messages")
    assert page.inner_text("#suggested-count-entity") == "+ 2 suggested"

    # n: the first suggestion in the text, the claim of the first paragraph.
    page.keyboard.press("n")
    wait_current(page, CLAIM[:30])
    # x dismisses it, and the next suggestion (Villebrune, inside it) is current.
    page.keyboard.press("x")
    announced(page, "Dismissed “Le conseil municipal")
    wait_current(page, "Villebrune")
    # y accepts the place; then the quote is current.
    page.keyboard.press("y")
    announced(page, "Accepted “Villebrune” as Entity.")
    wait_current(page, QUOTE)
    # y accepts the quote and its suggested speaker; then the opinion.
    page.keyboard.press("y")
    announced(page, "source: Claire Fontaine.")
    wait_current(page, "Pour l’opposition")

    # The opinion belongs to what follows "Pour l’opposition,": Alt+→ moves its
    # start one word at a time (l’ then opposition then il), then y accepts it.
    for expected in ("l’opposition", "opposition", "il faut"):
        page.keyboard.press("Alt+ArrowRight")
        announced(page, f"Suggestion now “{expected}")
        wait_current(page, expected)
    page.keyboard.press("y")
    announced(page, "Accepted “il faut d’abord réparer")

    spans = stored(page, article_id)
    assert CLAIM not in spans  # dismissed: listed nowhere
    assert Span.objects.get(article_id=article_id, text=CLAIM).status == "dismissed"
    place = spans["Villebrune"]
    assert (place["status"], place["entity_type"], place["created_by"]) == (
        "pending",
        "LOC",
        "alice",
    )
    assert place["origin"] == "model:fr_core_news_md@3.8.0"
    quote = spans[QUOTE]
    assert (quote["status"], quote["origin"]) == ("pending", "rule:quote-verb-after")
    speaker = spans["Claire Fontaine"]
    assert (quote["source"], speaker["status"]) == (speaker["id"], "pending")
    opinion_text = OPINION[OPINION.index("il faut") :]
    opinion = spans[opinion_text]
    assert TEXT[opinion["start"] : opinion["end"]] == opinion_text
    assert (opinion["status"], opinion["origin"]) == ("pending", "rule:opinion-cues")
    assert Span.objects.get(pk=opinion["id"]).corrected is True
    assert not [s for s in spans.values() if s["status"] == "suggested"]


@pytest.fixture
def proposed(alice, labels):
    """An article with the suggestions of TEXT stored (the real engine)."""
    article = services.article_create(user=alice, title="Budget", text=TEXT)
    services.article_suggest(article=article, user=alice)
    return article


def test_p_shift_y_the_toggle_and_undo(page, alice, proposed):
    log_in(page, "alice")
    page.goto(f"/articles/{proposed.pk}/")

    # n walks them in text order to the last; p comes back.
    for words in (CLAIM[:30], "Villebrune", QUOTE, "Claire Fontaine", "Pour l’"):
        page.keyboard.press("n")
        wait_current(page, words)
    page.keyboard.press("n")
    announced(page, "No more suggestions in this direction.")
    page.keyboard.press("p")
    wait_current(page, "Claire Fontaine")

    # Shift+Y on the speaker (0.85): every entity suggestion scoring 0.85 or
    # more, the speaker alone; Villebrune (0.75) stays a suggestion.
    page.keyboard.press("Shift+Y")
    announced(page, "Accepted 1 Entity suggestion scoring 0.85 or more.")
    statuses = dict(proposed.spans.values_list("text", "status"))
    assert (statuses["Claire Fontaine"], statuses["Villebrune"]) == (
        "pending",
        "suggested",
    )

    # y on the quote, then Ctrl+Z: a suggestion again.
    page.locator(mark_of(QUOTE, "quote")).first.click()
    page.keyboard.press("y")
    announced(page, f"Accepted “{QUOTE}”")
    page.keyboard.press("Control+z")
    announced(page, "is a suggestion again")
    assert proposed.spans.get(text=QUOTE).status == "suggested"

    # The toggle hides them in the text and the list, and says so to n.
    page.click("[data-toggle-suggestions]")
    assert page.get_attribute("[data-toggle-suggestions]", "aria-pressed") == "true"
    mark = page.locator('#article-text mark[data-status="suggested"]').first
    assert mark.evaluate("m => getComputedStyle(m).outlineStyle") == "none"
    assert not page.locator(".span-row.status-suggested").first.is_visible()
    page.keyboard.press("n")
    announced(page, "Suggestions are hidden")
    # It is remembered on the next visit, and shows them again.
    page.reload()
    assert page.get_attribute("[data-toggle-suggestions]", "aria-pressed") == "true"
    page.click("[data-toggle-suggestions]")
    assert mark.evaluate("m => getComputedStyle(m).outlineStyle") == "dotted"
    assert page.locator(".span-row.status-suggested").first.is_visible()


def test_in_a_blind_article_each_annotator_works_on_their_own_suggestions(
    page, alice, bob, rita, labels
):
    # Suggested while shared, then made blind: each annotator gets a copy.
    article = services.article_create(user=alice, title="Budget", text=TEXT)
    services.article_suggest(article=article, user=alice)
    services.article_assign(
        article=article, user=rita, annotators=[alice, bob], blind=True
    )
    url = f"/articles/{article.pk}/"
    suggested = '#article-text mark[data-status="suggested"]'

    log_in(page, "alice")
    page.goto(url)
    count = page.locator(suggested).count()
    assert count >= 5
    page.keyboard.press("n")
    wait_current(page, CLAIM[:30])
    page.keyboard.press("y")
    announced(page, "Accepted “Le conseil municipal")
    mine = stored(page, article.pk)
    assert mine[CLAIM]["status"] == "pending"
    assert mine[CLAIM]["created_by"] == "alice"

    # Bob sees his own copies, all still suggestions, and nothing of Alice's.
    log_in(page, "bob")
    page.goto(url)
    assert page.locator(suggested).count() == count
    assert page.locator('#article-text mark[data-status="pending"]').count() == 0
    theirs = stored(page, article.pk)
    assert {span["created_by"] for span in theirs.values()} == {"bob"}
    assert theirs[CLAIM]["status"] == "suggested"
    page.keyboard.press("n")
    wait_current(page, CLAIM[:30])
    page.keyboard.press("x")
    announced(page, "Dismissed “Le conseil municipal")

    # Alice's accepted claim stands; Bob's dismissal touched only his copy.
    claims = Span.objects.filter(article=article, text=CLAIM)
    assert {(span.created_by.username, span.status) for span in claims} == {
        ("alice", "pending"),
        ("bob", "dismissed"),
    }
