"""Dates, times and numbers in the reader's language on pages, htmx fragments
and the dashboard chart; the API stays ISO 8601 and locale-free.
"""

import datetime
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from annotations import services
from annotations.models import Article, Span

pytestmark = pytest.mark.django_db

FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en"}
NNBSP = "\u202f"
# 22:52 in Paris (TIME_ZONE defaults to Europe/Paris).
MOMENT = datetime.datetime(2026, 11, 30, 21, 52, tzinfo=datetime.UTC)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture
def decided(alice, rita, article, labels):
    span = services.span_create(
        user=alice, article=article, label=labels["quote"], start=0, end=5
    )
    services.span_approve(span=span, user=rita, version=1)
    Span.objects.filter(pk=span.pk).update(reviewed_at=MOMENT)
    Article.objects.filter(pk=article.pk).update(created_at=MOMENT)
    return span


def render(text, **context):
    return Template("{% load localized %}" + text).render(Context(context))


def test_figures_follow_the_language():
    with translation.override("fr"):
        assert render("{{ n|figure }}", n=12345) == f"12{NNBSP}345"
        assert render("{{ n|figure }}", n=4_200_000) == "4,2\xa0millions"
        assert render("{{ n|percent }}", n=42) == f"42{NNBSP}%"
        assert render("{{ t|quoted }}", t="oui") == f"«{NNBSP}oui{NNBSP}»"
    with translation.override("en"):
        assert render("{{ n|figure }}", n=12345) == "12,345"
        assert render("{{ n|figure }}", n=4_200_000) == "4.2 million"
        assert render("{{ n|percent }}", n=42) == "42%"
        assert render("{{ t|quoted }}", t="yes") == "“yes”"


def test_the_annotate_page_dates_decisions_in_french(client, alice, decided):
    client.force_login(alice)
    url = reverse("annotations:article_detail", args=[decided.article_id])
    page = client.get(url, headers=FR).content.decode()
    assert "Approuvé par rita le 30 nov. 2026 22:52" in page
    english = client.get(url, headers=EN).content.decode()
    assert "Approved by rita, 30 Nov 2026, 22:52" in english


def test_htmx_fragments_are_localized_too(client, alice, decided):
    client.force_login(alice)
    url = reverse("annotations:article_detail", args=[decided.article_id])
    fragment = client.get(url, headers={**FR, "HX-Request": "true"})
    content = fragment.content.decode()
    assert "<html" not in content
    assert "Approuvé par rita le 30 nov. 2026 22:52" in content
    listing = client.get(
        reverse("annotations:article_list"), headers={**FR, "HX-Request": "true"}
    ).content.decode()
    assert "<html" not in listing
    assert "30 nov. 2026 22:52" in listing
    assert "1 article" in listing


def test_the_history_page_dates_events_in_french(client, alice, decided):
    client.force_login(alice)
    content = client.get(
        reverse("annotations:span_history", args=[decided.pk]), headers=FR
    ).content.decode()
    assert "Approuvé" in content
    assert re.search(r"\d{1,2} \w+ 2026 \d{2}:\d{2}", content)


def test_large_counts_are_grouped_the_french_way(client, alice, rita, labels):
    article = services.article_create(user=alice, title="Long", text="x" * 1100)
    Span.objects.bulk_create(
        Span(
            article=article,
            label=labels["entity"],
            start=i,
            end=i + 1,
            text="x",
            created_by=alice,
        )
        for i in range(1001)
    )
    client.force_login(rita)
    french = client.get(reverse("annotations:review_queue"), headers=FR)
    assert f"Plus de 1{NNBSP}000 passages en attente" in french.content.decode()
    english = client.get(reverse("annotations:review_queue"), headers=EN)
    assert "More than 1,000 pending spans" in english.content.decode()


def test_the_stats_chart_speaks_french(client, rita, decided):
    client.force_login(rita)
    content = client.get(reverse("annotations:review_stats"), headers=FR)
    content = content.content.decode()
    today = timezone.localdate()
    with translation.override("fr"):
        day = date_format(today, "CHART_DAY_FORMAT")
        title = date_format(today, "CHART_DATE_FORMAT")
    with translation.override("en"):
        assert date_format(today, "CHART_DAY_FORMAT") != day
    assert f'class="day">{day}</text>' in content
    assert f"{title} : " in content.replace("\xa0", " ")
    assert f"100{NNBSP}%" in content
    assert "Décisions par jour sur les 30 derniers jours" in content


def test_the_api_stays_iso_8601_and_locale_free(as_user, alice, decided):
    client = as_user(alice)
    french = client.get("/api/v1/spans/", headers=FR).json()["results"][0]
    english = client.get("/api/v1/spans/", headers=EN).json()["results"][0]
    assert french == english
    assert ISO.match(french["reviewed_at"]) and ISO.match(french["created_at"])
    assert french["status"] == "approved" and french["label"] == "quote"
    article = client.get(f"/api/v1/articles/{decided.article_id}/", headers=FR)
    assert ISO.match(article.json()["created_at"])


def test_the_javascript_catalogue_is_a_script_in_the_pages_language(client):
    french = client.get(reverse("javascript_catalog"), headers=FR)
    assert french.status_code == 200
    assert french["Content-Type"].startswith("text/javascript")
    content = french.content.decode()
    assert "django.gettext" in content
    assert '"DECIMAL_SEPARATOR": ","' in content
    english = client.get(reverse("javascript_catalog"), headers=EN).content.decode()
    assert '"DECIMAL_SEPARATOR": "."' in english


def test_pages_load_the_catalogue_as_a_file(client, alice):
    client.force_login(alice)
    content = client.get(reverse("annotations:article_list"), headers=FR)
    content = content.content.decode()
    assert f'<script src="{reverse("javascript_catalog")}?l=fr" defer></script>' in (
        content
    )
    assert "<script>" not in content
