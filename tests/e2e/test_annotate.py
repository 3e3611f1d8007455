"""Upload, highlight and tag in a real browser; offsets must match code points."""

import re

import pytest

from annotations.models import Article, Span

from .conftest import log_in

pytestmark = pytest.mark.e2e

# Written for these tests: an emoji, guillemets, a combining accent that NFC
# composes (e + U+0301), one it cannot compose (a + U+0331), a ZWJ sequence and
# a flag, so that every offset after them differs between UTF-16 and code points.
TYPED = (
    "Le 🚀 décolle à l’aube.\n\n"
    "« Avec Zoe\u0301 Marchand, nous irons plus loin » : c’est la promesse d’une "
    "développeuse 👩\u200d💻 de Toulouse 🇫🇷 sur le ba\u0331teau-école."
)
SELECTED = "« Avec Zoé Marchand, nous irons plus loin »"
# The guillemets stay out of a quote selected across them.
QUOTE = "Avec Zoé Marchand, nous irons plus loin"
ENTITY = "Zoé Marchand"
OPINION = "sur le ba\u0331teau-école"

SELECT_PHRASE = """
([phrase, padded]) => {
  // Select `phrase` (with one character of context either side when padded)
  // through a DOM Range, as a keyboard or mouse selection would.
  const root = document.getElementById("article-text");
  let from = root.textContent.indexOf(phrase);
  if (from < 0) throw new Error("not in the page: " + phrase);
  let to = from + phrase.length;
  if (padded) { from -= 1; to += 1; }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node, seen = 0, start = null, end = null;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (start === null && from < seen + length) start = [node, from - seen];
    if (to <= seen + length) { end = [node, to - seen]; break; }
    seen += length;
  }
  const range = document.createRange();
  range.setStart(start[0], start[1]);
  range.setEnd(end[0], end[1]);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
"""

PHRASE_BOX = """
(phrase) => {
  const root = document.getElementById("article-text");
  const from = root.textContent.indexOf(phrase);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node, seen = 0, start = null, end = null;
  const to = from + phrase.length;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (start === null && from < seen + length) start = [node, from - seen];
    if (to <= seen + length) { end = [node, to - seen]; break; }
    seen += length;
  }
  const range = document.createRange();
  range.setStart(start[0], start[1]);
  range.setEnd(end[0], end[1]);
  const rects = range.getClientRects();
  const first = rects[0], last = rects[rects.length - 1];
  return {x1: first.left, y1: first.top + first.height / 2,
          x2: last.right, y2: last.top + last.height / 2};
}
"""


def upload(page):
    page.goto("/articles/new/")
    page.fill("input[name=title]", "Un départ à l’aube")
    page.fill("input[name=language]", "fr")
    page.fill("input[name=outlet]", "La Gazette des essais")
    page.fill("textarea[name=text]", TYPED)
    page.click("button[value=preview]")
    page.wait_for_selector(".preview-note")
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    page.wait_for_selector("#article-text")
    return Article.objects.get()


def wait_for_mark(page, label, count=1):
    selector = f'#article-text [data-label="{label}"]'
    page.wait_for_function(
        "([s, n]) => document.querySelectorAll(s).length === n", arg=[selector, count]
    )
    return page.locator(selector)


def mark_text(page, span):
    return page.evaluate(
        """(id) => Array.from(document.querySelectorAll(
             '#article-text [data-span-id="' + id + '"]'))
             .map(el => el.textContent).join("")""",
        span.pk,
    )


def test_it_tags_spans_with_exact_code_point_offsets(page, alice):
    log_in(page, "alice")
    article = upload(page)
    assert article.text == TYPED.replace("e\u0301", "é")

    # A phrase after the rocket, selected with a space either side: trimmed.
    page.evaluate(SELECT_PHRASE, [SELECTED, True])
    page.wait_for_selector("#label-toolbar:not([hidden])")
    page.keyboard.press("q")
    wait_for_mark(page, "quote")
    quote = Span.objects.get(label__slug="quote")
    assert quote.text == QUOTE
    assert (quote.start, quote.end) == (
        article.text.index(QUOTE),
        article.text.index(QUOTE) + len(QUOTE),
    )
    assert article.text[quote.start : quote.end] == QUOTE
    assert "Tagged" in page.locator("#annotate-message").inner_text()

    page.reload()
    assert mark_text(page, quote) == QUOTE
    assert (
        page.locator(f'[data-span-id="{quote.pk}"]')
        .first.get_attribute("title")
        .startswith("Quote")
    )

    # A real mouse drag over the name inside the quote, then the entity key.
    box = page.evaluate(PHRASE_BOX, ENTITY)
    page.mouse.move(box["x1"] + 1, box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"] - 1, box["y2"], steps=8)
    page.mouse.up()
    page.keyboard.press("e")
    # The type picker: Enter leaves the entity untyped.
    page.wait_for_selector("#type-picker:not([hidden])")
    page.keyboard.press("Enter")
    wait_for_mark(page, "entity")
    entity = Span.objects.get(label__slug="entity")
    assert entity.text == ENTITY
    assert article.text[entity.start : entity.end] == ENTITY
    # Nested: the entity is drawn inside the quote, and the quote stays whole.
    nested = page.locator(f'[data-span-id="{quote.pk}"] [data-span-id="{entity.pk}"]')
    assert nested.count() == 1
    assert mark_text(page, quote) == QUOTE

    # After a ZWJ sequence and a flag, through the toolbar this time; the
    # source picker proposes the entity before it, Enter keeps none.
    page.evaluate(SELECT_PHRASE, [OPINION, False])
    page.click('#label-toolbar [data-label-slug="opinion"]')
    page.wait_for_selector("#source-picker:not([hidden])")
    assert page.locator("#source-picker [data-source-id]").first.inner_text() == (
        "1 " + ENTITY
    )
    page.keyboard.press("Enter")
    wait_for_mark(page, "opinion")
    opinion = Span.objects.get(label__slug="opinion")
    assert opinion.text == OPINION
    assert article.text[opinion.start : opinion.end] == OPINION

    # The same selection and label again: refused with a visible message.
    page.evaluate(SELECT_PHRASE, [OPINION, False])
    page.keyboard.press("o")
    page.keyboard.press("Enter")
    page.wait_for_selector("#annotate-message .error")
    assert "already has a span" in page.locator("#annotate-message").inner_text()
    assert Span.objects.count() == 3

    # Name the quote's source: the entity.
    row = page.locator(f"#span-row-{quote.pk}")
    row.get_by_role("link", name="Edit label / source").click()
    page.wait_for_selector(f"#span-row-{quote.pk} form.span-edit")
    row.locator("select[name=source]").select_option(str(entity.pk))
    row.get_by_role("button", name="Save").click()
    page.wait_for_selector(f"#span-row-{quote.pk}:not(:has(form.span-edit))")
    quote.refresh_from_db()
    assert quote.source_id == entity.pk
    assert "source: Zoé Marchand" in page.locator(f"#span-row-{quote.pk}").inner_text()

    # Delete the opinion: gone from the text, the panel and the database.
    page.locator(f"#span-row-{opinion.pk}").get_by_role("button", name="Delete").click()
    wait_for_mark(page, "opinion", count=0)
    assert page.locator(f"#span-row-{opinion.pk}").count() == 0
    assert not Span.objects.filter(pk=opinion.pk).exists()

    page.reload()
    assert mark_text(page, quote) == QUOTE
    assert mark_text(page, entity) == ENTITY


def test_it_ignores_a_selection_that_leaves_the_article(page, alice):
    log_in(page, "alice")
    upload(page)
    page.evaluate(
        """() => {
          const range = document.createRange();
          range.setStart(document.querySelector("h1").firstChild, 0);
          const text = document.querySelector("#article-text [data-start]").firstChild;
          range.setEnd(text, 5);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }"""
    )
    page.keyboard.press("q")
    page.wait_for_timeout(300)
    assert page.locator("#label-toolbar").is_hidden()
    assert not Span.objects.exists()


def test_it_shows_reviewers_no_toolbar(page, alice, rita, labels):
    article = Article.objects.create(
        title="Lecture seule", text="Un texte 🚀 à relire.", uploaded_by=alice
    )
    Span.objects.create(
        article=article,
        label=labels["quote"],
        start=0,
        end=8,
        text="Un texte",
        created_by=alice,
    )
    log_in(page, "rita")
    page.goto(f"/articles/{article.pk}/")
    page.evaluate(SELECT_PHRASE, ["relire", False])
    page.keyboard.press("q")
    page.wait_for_timeout(300)
    assert page.locator("#label-toolbar").count() == 0
    assert Span.objects.count() == 1
    # Selecting a span in the panel brings its highlight into view.
    page.locator(".span-show").first.click()
    page.wait_for_selector("#article-text mark.pulse")
