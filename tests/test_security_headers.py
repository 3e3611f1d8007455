"""Content-Security-Policy, Permissions-Policy and the label stylesheet."""

import re

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Label

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
TEXT = "« Nous tiendrons », promet Zoé Lefèvre à Montréal."
# Inline code of any kind: a <script> without src (JSON data blocks aside), a
# <style> element, a style="" attribute or an on…= handler.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
    r"|<style\b|\sstyle=|\son[a-z]+=",
    re.IGNORECASE,
)


def directives(header: str) -> dict:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.fixture
def article(alice, rita, labels):
    article = services.article_create(user=alice, title="Promesse", text=TEXT)
    quote = services.span_create(
        user=alice, article=article, label=labels["quote"], start=0, end=18
    )
    services.span_approve(span=quote, user=rita, version=1)
    return article


def test_the_home_page_sends_the_policy_headers(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert directives(response["Content-Security-Policy"]) == POLICY
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/no-such-page/", "/api/v1/labels/"]
)
def test_every_answer_carries_the_policy(client, url):
    assert directives(client.get(url)["Content-Security-Policy"]) == POLICY


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "ada"])
def test_no_page_has_inline_script_or_style(client, request, article, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in (
        "/",
        reverse("annotations:article_detail", args=[article.pk]),
        reverse("annotations:article_history", args=[article.pk]),
        reverse("annotations:review_queue"),
        reverse("annotations:review_stats"),
        reverse("annotations:article_new"),
        reverse("annotations:export"),
        reverse("annotations:dataset_list"),
        reverse("annotations:token_list"),
        "/api/v1/docs/",
        "/admin/",
    ):
        response = client.get(url, follow=True)
        found = INLINE.findall(response.content.decode())
        assert not found, (url, found)


def test_the_label_colours_come_from_a_stylesheet(client, alice, article):
    client.force_login(alice)
    page = client.get(reverse("annotations:article_detail", args=[article.pk]))
    url = re.search(
        r'<link rel="stylesheet" href="(/labels\.css\?v=\w+)"', page.content.decode()
    )
    response = client.get(url.group(1))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    css = response.content.decode()
    for label in Label.objects.all():
        assert (
            f'[data-label="{label.slug}"],[data-label-slug="{label.slug}"]'
            f"{{--c:{label.colour}}}" in css
        )


def test_the_stylesheet_address_changes_with_the_colours(client, alice, article):
    client.force_login(alice)
    detail = reverse("annotations:article_detail", args=[article.pk])
    before = re.search(r"/labels\.css\?v=\w+", client.get(detail).content.decode())
    Label.objects.filter(slug="quote").update(colour="#123456")
    after = re.search(r"/labels\.css\?v=\w+", client.get(detail).content.decode())
    assert before.group() != after.group()
    # The old address is no longer kept for a year.
    stale = client.get(before.group())
    assert stale["Cache-Control"] == "private, no-cache"
    assert "--c:#123456" in stale.content.decode()


def test_the_stylesheet_writes_no_unsafe_value(client, alice, seeded):
    # Written past the validators, as a raw database edit would.
    Label.objects.create(name="Bad colour", slug="bad", colour="red}</s")
    Label.objects.create(name="Bad slug", slug='x"],*{', colour="#ff0000")
    client.force_login(alice)
    css = client.get(reverse("annotations:label_styles")).content.decode()
    assert "bad" not in css and "<" not in css and "*" not in css
    assert css.count("--c:") == 4


def test_the_stylesheet_needs_a_login(client, seeded):
    response = client.get(reverse("annotations:label_styles"))
    assert response.status_code == 302


def test_the_api_docs_load_their_script_from_a_file(client, alice):
    client.force_login(alice)
    page = client.get("/api/v1/docs/").content.decode()
    assert '<script src="/api/v1/docs/?script="></script>' in page
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
