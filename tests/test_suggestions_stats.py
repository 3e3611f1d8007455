"""/stats/ per origin: suggested, accepted, accepted after correction, dismissed
and the acceptance rate."""

import re

import pytest
from django.urls import reverse

from annotations import services, stats

from .suggestion_data import TEXT, at, by_text, suggested_article

pytestmark = pytest.mark.django_db

URL = reverse("annotations:review_stats")


@pytest.fixture
def decided(alice, bob, labels):
    """Two articles of suggestions; per origin, some accepted (one corrected),
    some dismissed, some still waiting."""
    _article, first = suggested_article(alice)
    _article, second = suggested_article(alice)
    one, two = by_text(first), by_text(second)
    quote = "Nous doublerons les pistes cyclables"
    claim = "Le budget de Villebrune a augmenté de 8 % en un an."
    # The quote accepted as is, with its speaker (model), in both articles.
    services.span_accept(span=one[quote], user=alice)
    services.span_accept(span=two[quote], user=bob)
    # The claim: accepted after correction once, dismissed once.
    start = TEXT.index("Le budget")
    services.span_accept(span=one[claim], user=alice, end=start + len("Le budget"))
    services.span_dismiss(span=two[claim], user=bob)
    # Villebrune (rule:test-entity): dismissed once, waiting once.
    services.span_dismiss(span=one["Villebrune"], user=alice)
    # A span made by hand is no suggestion.
    services.span_create(
        user=alice,
        article=first.article,
        label=labels["opinion"],
        start=TEXT.index("pistes"),
        end=TEXT.index("pistes") + 6,
    )


def test_it_counts_what_became_of_each_origins_suggestions(decided):
    rows = {row.origin: row for row in stats.by_origin()}
    assert set(rows) == {
        "model:fr_core_news_md@3.8.0",
        "rule:claim-cues",
        "rule:quote-verb-after",
        "rule:test-entity",
    }
    figures = {
        origin: (r.suggested, r.waiting, r.accepted, r.corrected, r.dismissed)
        for origin, r in rows.items()
    }
    assert figures == {
        "model:fr_core_news_md@3.8.0": (2, 0, 2, 0, 0),
        "rule:claim-cues": (2, 0, 1, 1, 1),
        "rule:quote-verb-after": (2, 0, 2, 0, 0),
        "rule:test-entity": (2, 1, 0, 0, 1),
    }
    assert rows["rule:claim-cues"].acceptance_rate == 0.5
    assert rows["rule:test-entity"].acceptance_rate == 0.0
    assert rows["rule:quote-verb-after"].acceptance_rate == 1.0


def test_an_origin_without_decisions_has_no_rate(alice, labels):
    suggested_article(alice, found=[at("Villebrune", "entity", entity_type="LOC")])
    [row] = stats.by_origin()
    assert (row.suggested, row.waiting, row.acceptance_rate) == (1, 1, None)


def test_the_dashboard_shows_the_table_per_origin(client, rita, decided):
    client.force_login(rita)
    html = client.get(URL).content.decode()
    table = html[
        html.index('id="by-origin"') : html.index(
            "</table>", html.index('id="by-origin"')
        )
    ]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    cells = [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row] for row in cells]
    assert cells[0] == [
        "Origin",
        "Suggested",
        "Waiting",
        "Accepted",
        "Accepted after correction",
        "Dismissed",
        "Acceptance rate",
    ]
    assert ["rule:claim-cues", "2", "0", "1", "1", "1", "50%"] in cells
    assert ["rule:test-entity", "2", "1", "0", "0", "1", "0%"] in cells
    assert cells[-1] == ["All origins", "8", "1", "5", "1", "2", "71%"]


def test_the_dashboard_says_when_there_are_no_suggestions(client, alice):
    client.force_login(alice)
    assert "No suggestions yet." in client.get(URL).content.decode()


def test_the_dashboard_speaks_french(client, rita, decided):
    client.force_login(rita)
    html = client.get(URL, headers={"accept-language": "fr"}).content.decode()
    assert "Suggestions par origine" in html
    assert "Acceptées après correction" in html
