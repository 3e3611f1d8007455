"""Annotate with the keyboard alone, then read what was stored through the API."""

import pytest

from annotations import services
from annotations.models import AuditEvent, Span

from .conftest import log_in

pytestmark = pytest.mark.e2e

# Written for these tests. The bicycle and the flag make UTF-16 offsets differ
# from code points before the name.
TEXT = (
    "Le conseil de Villebrune 🚲 a voté le budget 🇫🇷 jeudi soir.\n\n"
    "« Nous ne pouvons plus attendre », a déclaré la maire Claire Dumont devant "
    "les élus d’OpenAI venus en voisins."
)


@pytest.fixture
def article(alice):
    return services.article_create(user=alice, title="Budget à Villebrune", text=TEXT)


def focused(page):
    return page.evaluate("document.activeElement.id")


def stored(page, article):
    """Return the article's spans as the API gives them, by label."""
    response = page.request.get(f"/api/v1/spans/?article={article.pk}")
    assert response.status == 200
    spans = {}
    for span in response.json()["results"]:
        spans.setdefault(span["label"], []).append(span)
    return spans


def announced(page, words):
    page.wait_for_function(
        "w => document.getElementById('sr-announce').textContent.includes(w)",
        arg=words,
    )


def press(page, *keys):
    for key in keys:
        page.keyboard.press(key)


def test_it_annotates_with_the_keyboard_only(page, alice, article):
    log_in(page, "alice")
    page.goto(f"/articles/{article.pk}/")

    # Focus: the first Tab reaches "Skip to the article text"; Enter puts the
    # caret at the start of the text.
    press(page, "Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == (
        "Skip to the article text"
    )
    press(page, "Enter")
    assert focused(page) == "article-text"
    page.wait_for_selector("#text-caret:not([hidden])")

    # Move: to the end of the first paragraph, over the blank line, then word
    # by word to just after "maire".
    press(page, "End", "ArrowRight", "ArrowRight")
    press(page, *["Control+ArrowRight"] * 9)
    # Extend: one word, "Claire".
    press(page, "Control+Shift+ArrowRight")
    assert page.evaluate("String(window.getSelection())") == " Claire"

    # e, then p: an entity typed as a person at once.
    press(page, "e")
    page.wait_for_selector("#type-picker:not([hidden])")
    press(page, "p")
    announced(page, "Tagged “Claire” as Entity (Person).")
    entity = Span.objects.get(label__slug="entity")
    assert (entity.text, entity.entity_type) == ("Claire", "PER")
    assert focused(page) == "article-text"

    # Nudge: Alt+Shift+→ moves the end of the span just made by one word.
    press(page, "Alt+Shift+ArrowRight")
    announced(page, "Now “Claire Dumont”.")
    entity.refresh_from_db()
    assert (entity.text, entity.version) == ("Claire Dumont", 2)

    # q with a source: select the quote from the paragraph's start, guillemets
    # and all; the picker proposes the person after it, 1 takes it.
    press(page, "Home")
    press(
        page, *["Control+Shift+ArrowRight"] * 5, "Shift+ArrowRight", "Shift+ArrowRight"
    )
    assert page.evaluate("String(window.getSelection())") == (
        "« Nous ne pouvons plus attendre »"
    )
    press(page, "q")
    page.wait_for_selector("#source-picker:not([hidden])")
    assert page.locator("#source-picker .picker-choices button").all_inner_texts() == [
        "1 Claire Dumont"
    ]
    press(page, "1")
    announced(page, "source: Claire Dumont.")

    spans = stored(page, article)
    (quote,) = spans["quote"]
    assert quote["text"] == "Nous ne pouvons plus attendre"
    assert TEXT[quote["start"] : quote["end"]] == quote["text"]
    assert quote["source"] == entity.pk
    (person,) = spans["entity"]
    assert (person["text"], person["entity_type"]) == ("Claire Dumont", "PER")
    assert TEXT[person["start"] : person["end"]] == "Claire Dumont"

    # Ctrl+Z undoes the quote, and again the nudge.
    press(page, "Control+z")
    announced(page, "Undone: “Nous ne pouvons plus attendre” is no longer tagged.")
    assert "quote" not in stored(page, article)
    press(page, "Control+z")
    announced(page, "Undone: “Claire” is as it was.")
    (person,) = stored(page, article)["entity"]
    assert (person["text"], person["entity_type"]) == ("Claire", "PER")
    assert person["version"] == 3
    assert focused(page) == "article-text"

    # Every step is in the audit trail, undos included.
    actions = list(
        AuditEvent.objects.filter(object_type="span").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "create", "delete", "update"]


SELECT = """
([phrase, skipStart, skipEnd]) => {
  // Select `phrase` in #article-text less some UTF-16 units at either end, as
  // a drag would.
  const root = document.getElementById("article-text");
  const at = root.textContent.indexOf(phrase);
  if (at < 0) throw new Error("not in the page: " + phrase);
  const from = at + skipStart, to = at + phrase.length - skipEnd;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node, seen = 0, start = null, end = null;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (start === null && from < seen + length) start = [node, from - seen];
    if (to <= seen + length) { end = [node, to - seen]; break; }
    seen += length;
  }
  const selection = window.getSelection();
  selection.setBaseAndExtent(start[0], start[1], end[0], end[1]);
}
"""


def select(page, phrase, *, skip_start=0, skip_end=0):
    """Select ``phrase`` in the page, less some characters at either end."""
    page.evaluate(SELECT, [phrase, skip_start, skip_end])
    page.wait_for_selector("#label-toolbar:not([hidden])")


def test_it_snaps_selections_to_words_and_strips_elisions_and_guillemets(
    page, alice, article
):
    log_in(page, "alice")
    page.goto(f"/articles/{article.pk}/")

    # A drag that starts and ends inside words takes the whole words.
    select(page, "Villebrune", skip_start=2, skip_end=3)
    press(page, "e", "l")
    announced(page, "Tagged “Villebrune” as Entity (Location).")

    # « d’OpenAI » is the organisation OpenAI.
    select(page, "d’OpenAI")
    press(page, "e")
    # The last type used is pre-selected (Space takes it); o is ORG.
    assert page.evaluate("document.activeElement.dataset.entityType") == "LOC"
    press(page, "o")
    announced(page, "Tagged “OpenAI” as Entity (Organisation).")

    # Guillemets selected on their own are what the user meant.
    select(page, "«")
    press(page, "q")
    # Two entities now: the picker offers them; Enter keeps none.
    page.wait_for_selector("#source-picker:not([hidden])")
    press(page, "Enter")
    announced(page, "Tagged “«” as Quote.")

    texts = {
        (span.label.slug, span.text, span.entity_type)
        for span in Span.objects.select_related("label")
    }
    assert texts == {
        ("entity", "Villebrune", "LOC"),
        ("entity", "OpenAI", "ORG"),
        ("quote", "«", None),
    }
    for span in Span.objects.all():
        assert TEXT[span.start : span.end] == span.text


def test_it_deletes_a_focused_span_and_undoes_it_back_to_its_review(
    page, alice, rita, article, labels
):
    start = TEXT.index("Claire Dumont")
    person = services.span_create(
        user=alice,
        article=article,
        label=labels["entity"],
        start=start,
        end=start + len("Claire Dumont"),
        entity_type="PER",
    )
    quote_start = TEXT.index("Nous ne")
    quote = services.span_create(
        user=alice,
        article=article,
        label=labels["quote"],
        start=quote_start,
        end=quote_start + len("Nous ne pouvons plus attendre"),
        source=person,
    )
    services.span_reject(
        span=quote, user=rita, version=quote.version, reason="wrong boundaries"
    )
    log_in(page, "alice")
    page.goto(f"/articles/{article.pk}/")

    # Delete on the span focused in the panel: no question asked.
    page.locator(f"#span-row-{quote.pk} .span-show").focus()
    press(page, "Delete")
    announced(page, "Deleted “Nous ne pouvons plus attendre”.")
    assert not Span.objects.filter(pk=quote.pk).exists()
    assert page.locator(f"#span-row-{quote.pk}").count() == 0

    # The toast's Undo button puts it back as it was: label, source, status.
    page.locator("#annotate-message button.undo").click()
    announced(page, "Undone: “Nous ne pouvons plus attendre” is back.")
    restored = Span.objects.get(pk=quote.pk)
    assert restored.label.slug == "quote"
    assert restored.source_id == person.pk
    assert restored.status == Span.Status.REJECTED
    assert restored.rejection_reason == "wrong boundaries"
    assert restored.reviewed_by == rita
    assert page.locator(f"#span-row-{quote.pk}.status-rejected").count() == 1

    # Delete with the caret in the entity: it is a source, so it stays.
    page.locator("#article-text").focus()
    page.evaluate(SELECT, ["Dumont", 2, 4])
    press(page, "Delete")
    page.wait_for_selector("#annotate-message .error")
    assert "source of 1 other span" in page.locator("#annotate-message").inner_text()
    assert Span.objects.filter(pk=person.pk).exists()


def test_it_refuses_a_nudge_on_a_stale_version_with_409(page, alice, article, labels):
    start = TEXT.index("Claire")
    person = services.span_create(
        user=alice,
        article=article,
        label=labels["entity"],
        start=start,
        end=start + len("Claire"),
    )
    log_in(page, "alice")
    page.goto(f"/articles/{article.pk}/")
    # Someone else's tab types the entity meanwhile.
    services.span_update(span=person, user=alice, entity_type="PER")

    statuses = []
    page.on(
        "response",
        lambda response: (
            statuses.append(response.status) if "/move/" in response.url else None
        ),
    )
    page.locator(f"#span-row-{person.pk} .span-show").focus()
    press(page, "Alt+Shift+ArrowRight")
    page.wait_for_selector("#annotate-message .error")
    assert statuses == [409]
    assert (
        "changed since you loaded it" in page.locator("#annotate-message").inner_text()
    )
    person.refresh_from_db()
    assert (person.text, person.entity_type, person.version) == ("Claire", "PER", 2)

    # The page now holds the current version: the same key goes through.
    page.locator(f"#span-row-{person.pk} .span-show").focus()
    press(page, "Alt+Shift+ArrowRight")
    announced(page, "Now “Claire Dumont”.")
    assert statuses == [409, 200]
    person.refresh_from_db()
    assert (person.text, person.entity_type) == ("Claire Dumont", "PER")
    # Alt+← moves the start back a word.
    page.locator(f"#span-row-{person.pk} .span-show").focus()
    press(page, "Alt+ArrowLeft")
    announced(page, "Now “maire Claire Dumont”.")


def test_it_closes_with_escape_and_gives_the_focus_back(page, alice, article, labels):
    start = TEXT.index("Claire Dumont")
    person = services.span_create(
        user=alice,
        article=article,
        label=labels["entity"],
        start=start,
        end=start + len("Claire Dumont"),
    )
    log_in(page, "alice")
    page.goto(f"/articles/{article.pk}/")

    # The panel's edit form.
    edit = page.locator(f"#span-row-{person.pk}").get_by_role(
        "link", name="Edit label / type"
    )
    edit.focus()
    press(page, "Enter")
    page.wait_for_selector(f"#span-row-{person.pk} form.span-edit select:focus")
    press(page, "Escape")
    page.wait_for_selector(f"#span-row-{person.pk}:not(:has(form.span-edit))")
    page.wait_for_function(
        "() => document.activeElement.textContent.trim() === 'Edit label / type'"
    )

    # A picker: back to the text, the selection intact.
    page.locator("#article-text").focus()
    select(page, "Villebrune")
    press(page, "e")
    page.wait_for_selector("#type-picker:not([hidden])")
    press(page, "Escape")
    assert focused(page) == "article-text"
    assert page.evaluate("String(window.getSelection())") == "Villebrune"
    assert page.locator("#type-picker").is_hidden()
    assert Span.objects.count() == 1

    # The window of keys.
    press(page, "?")
    page.wait_for_selector("#keys-help[open]")
    assert "Alt" in page.locator("#keys-help").inner_text()
    press(page, "Escape")
    page.wait_for_selector("#keys-help:not([open])", state="attached")
    assert focused(page) == "article-text"


def test_it_proposes_no_rejected_entity_as_a_source(page, alice, rita, article, labels):
    for phrase, entity_type in [("Claire Dumont", "PER"), ("Villebrune", "LOC")]:
        start = TEXT.index(phrase)
        services.span_create(
            user=alice,
            article=article,
            label=labels["entity"],
            start=start,
            end=start + len(phrase),
            entity_type=entity_type,
        )
    rejected = Span.objects.get(text="Claire Dumont")
    services.span_reject(span=rejected, user=rita, version=1, reason="not an entity")
    log_in(page, "alice")
    page.goto(f"/articles/{article.pk}/")
    select(page, "« Nous ne pouvons plus attendre »")
    press(page, "q")
    page.wait_for_selector("#source-picker:not([hidden])")
    choices = page.locator("#source-picker .picker-choices button").all_inner_texts()
    assert choices == ["1 Villebrune"]


def test_it_offers_the_toast_s_undo_for_ten_seconds_and_ctrl_z_after(
    page, alice, article, labels
):
    start = TEXT.index("Villebrune")
    place = services.span_create(
        user=alice,
        article=article,
        label=labels["entity"],
        start=start,
        end=start + len("Villebrune"),
    )
    page.clock.install()
    log_in(page, "alice")
    page.goto(f"/articles/{article.pk}/")
    page.locator(f"#span-row-{place.pk} .span-show").focus()
    press(page, "Delete")
    page.wait_for_selector("#annotate-message button.undo")
    page.clock.run_for(9_000)
    assert page.locator("#annotate-message button.undo").count() == 1
    page.clock.run_for(1_500)
    assert page.locator("#annotate-message button.undo").count() == 0
    assert not Span.objects.filter(pk=place.pk).exists()
    press(page, "Control+z")
    announced(page, "Undone: “Villebrune” is back.")
    assert Span.objects.get(pk=place.pk).text == "Villebrune"
    # Nothing left to undo on this page: it says so.
    press(page, "Control+z")
    announced(page, "Nothing to undo on this page.")
