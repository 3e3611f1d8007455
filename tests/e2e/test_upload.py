"""Paste a page copied with its furniture: the preview cleans it, Save stores it."""

import re
from pathlib import Path

import pytest

from annotations.models import Article

from .conftest import log_in

pytestmark = pytest.mark.e2e

SAMPLE = (Path(__file__).parent.parent / "data" / "furniture_fr.txt").read_text("utf-8")
HEADLINE = "La Garonne sort de son lit à Toulouse"
LAST = (
    "Selon Météo-France, la décrue ne commencera pas avant vendredi, et de "
    "nouvelles averses sont attendues sur les Pyrénées d’ici là."
)


def test_it_stores_the_article_without_its_furniture_with_no_manual_edit(page, alice):
    log_in(page, "alice")
    page.goto("/articles/new/")
    page.fill("textarea[name=text]", SAMPLE)
    page.click("button[value=preview]")
    page.wait_for_selector(".paragraph-list")

    # Furniture is unticked and says why; the title comes from the headline.
    dropped = page.locator(".paragraph-list li:has(input:not(:checked))")
    assert (
        dropped.filter(has_text="Down Icon")
        .inner_text()
        .endswith("menu or button words")
    )
    assert "the headline again" in page.locator(".paragraph-list").inner_text()
    assert page.input_value("input[name=title]") == HEADLINE
    assert page.input_value("input[name=byline]") == "Hélène Vidal"
    kept = page.locator("[data-kept-count]").inner_text()

    # Ticking a line back counts it at once.
    page.locator(".paragraph-list li", has_text="Le pont Saint-Pierre").locator(
        "input"
    ).check()
    assert int(page.locator("[data-kept-count]").inner_text()) == int(kept) + 1
    page.locator(".paragraph-list li", has_text="Le pont Saint-Pierre").locator(
        "input"
    ).uncheck()
    shown = int(page.locator("[data-kept-characters]").inner_text())

    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    article = Article.objects.get()
    assert article.title == HEADLINE
    assert article.text.startswith(HEADLINE + "\n\nAprès trois jours")
    assert article.text.endswith(LAST)
    assert len(article.text) == shown
    for furniture in ("Sélectionner", "Down Icon", "Partager", "Mentions", "©"):
        assert furniture not in article.text
    # The page then shows exactly that text.
    assert page.locator("#article-text").inner_text().strip() == article.text
