"""Adjudication in a real browser, from the keyboard alone."""

import pytest

from annotations import services
from annotations.models import Article, Span

from .conftest import log_in

pytestmark = pytest.mark.e2e

TEXT = (
    "Le ministre Jean Dupont affirme que le chômage baisse depuis un an. "
    "Marie Curie dit : « Le radium brille. » 🚀 Fin."
)


def at(words):
    start = TEXT.index(words)
    return {"start": start, "end": start + len(words)}


@pytest.fixture
def blind_article(alice, bob, rita, labels):
    article = services.article_create(user=alice, title="Chômage", text=TEXT)
    services.article_assign(
        article=article, user=rita, annotators=[alice, bob], blind=True
    )

    def add(user, words, label, **extra):
        return services.span_create(
            user=user, article=article, label=labels[label], **at(words), **extra
        )

    add(alice, "Jean Dupont", "entity", entity_type="PER")
    add(alice, "le chômage baisse depuis un an", "claim")
    add(alice, "Marie Curie", "entity", entity_type="PER")
    add(bob, "ministre Jean Dupont", "entity", entity_type="ORG")
    add(bob, "le chômage baisse", "claim")
    add(bob, "Marie Curie", "entity", entity_type="PER")
    add(bob, "radium", "entity", entity_type="MISC")
    return article


def current_item(page):
    return page.evaluate(
        "document.querySelector('.adj-item.current')?.querySelector('mark')?.textContent"
    )


def test_it_adjudicates_with_keys_only(page, rita, blind_article):
    log_in(page, "rita")
    page.goto(f"/articles/{blind_article.pk}/adjudicate/")
    page.wait_for_selector(".adj-item.current")
    assert page.locator(".adj-item").count() == 3
    # The first undecided item has the focus; j and k move.
    assert current_item(page) == "ministre Jean Dupont"
    page.keyboard.press("j")
    assert current_item(page) == "le chômage baisse depuis un an"
    page.keyboard.press("k")
    assert current_item(page) == "ministre Jean Dupont"

    # 1 keeps alice's minister and moves on to the claim.
    page.keyboard.press("1")
    assert current_item(page) == "le chômage baisse depuis un an"
    assert "1 of 3 items decided" in page.locator("#adjudicate-progress").inner_text()

    # e opens the editor on the claim, filled with the first version; the
    # end goes back to "baisse" and Enter keeps the edited span.
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.id") == "adj-editor-label"
    page.keyboard.press("Tab")  # the type is for entities only: skipped
    assert page.evaluate("document.activeElement.id") == "adj-editor-start"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "adj-editor-end"
    page.keyboard.press("Control+A")
    page.keyboard.type(str(at("le chômage baisse")["end"]))
    assert page.locator("#adj-editor-preview").inner_text() == "le chômage baisse"
    page.keyboard.press("Enter")

    # On to "radium", which only bob marked: 0 keeps none, and every item is
    # decided, so Save has the focus and Enter saves.
    assert current_item(page) == "radium"
    page.keyboard.press("0")
    assert page.evaluate("document.activeElement.id") == "adjudicate-save"
    assert "3 of 3 items decided" in page.locator("#adjudicate-progress").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/articles/{blind_article.pk}/")
    assert "Adjudicated: 3 spans approved." in page.content()

    result = Span.objects.filter(article=blind_article, blind=False)
    assert {(span.text, span.status, span.created_by.username) for span in result} == {
        ("Marie Curie", "approved", "alice"),
        ("Jean Dupont", "approved", "alice"),
        ("le chômage baisse", "approved", "rita"),
    }
    assert not Span.objects.filter(blind=True, status="pending").exists()
    assert Article.objects.get(pk=blind_article.pk).adjudicated_by == rita


def test_clicks_decide_too(page, rita, blind_article):
    log_in(page, "rita")
    page.goto(f"/articles/{blind_article.pk}/adjudicate/")
    page.wait_for_selector(".adj-item.current")
    items = page.locator(".adj-item")
    items.nth(0).get_by_text("keep bob's").click()
    items.nth(1).get_by_text("keep both").click()
    items.nth(2).get_by_text("keep bob's").click()
    page.click("#adjudicate-save")
    page.wait_for_url(f"**/articles/{blind_article.pk}/")
    texts = set(
        Span.objects.filter(article=blind_article, blind=False).values_list(
            "text", flat=True
        )
    )
    assert texts == {
        "Marie Curie",
        "ministre Jean Dupont",
        "le chômage baisse depuis un an",
        "le chômage baisse",
        "radium",
    }
