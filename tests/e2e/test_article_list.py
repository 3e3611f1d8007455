"""The article list in a real browser: htmx filtering that the URL remembers."""

import re

import pytest

from annotations.models import Article

from .conftest import log_in

pytestmark = pytest.mark.e2e


def test_it_filters_without_reloading_and_the_back_button_restores(page, alice):
    for title, language in [
        ("Le port de Kerbrat rouvre", "fr"),
        ("Harbour ferry saved", "en"),
        ("Budget municipal voté", "fr"),
    ]:
        Article.objects.create(
            title=title, text=f"{title} 🚀.", language=language, uploaded_by=alice
        )
    log_in(page, "alice")
    page.wait_for_selector("#article-results")
    assert page.locator("#article-results tbody tr").count() == 3
    # A marker on the window survives htmx swaps but not a full page load.
    page.evaluate("window.sameDocument = true")

    page.fill("input[name=search]", "ferry")
    page.wait_for_function(
        "() => document.querySelectorAll('#article-results tbody tr').length === 1"
    )
    assert page.locator("#article-results").inner_text().count("Harbour ferry") == 1
    page.wait_for_url(re.compile(r"search=ferry"))
    assert page.evaluate("window.sameDocument") is True

    page.fill("input[name=search]", "")
    page.select_option("select[name=language]", "fr")
    page.wait_for_url(re.compile(r"language=fr"))
    page.wait_for_function(
        "() => document.querySelectorAll('#article-results tbody tr').length === 2"
    )

    page.go_back()
    page.wait_for_url(re.compile(r"search=ferry"))
    page.wait_for_function(
        "() => document.querySelectorAll('#article-results tbody tr').length === 1"
    )
    assert page.input_value("input[name=search]") == "ferry"

    # The URL alone is enough: a shared link opens filtered.
    page.goto("/?language=en")
    assert page.locator("#article-results tbody tr").count() == 1
    assert page.input_value("select[name=language]") == "en"
