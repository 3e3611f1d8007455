"""Uploading an article runs the suggesters (SUGGEST_ON_UPLOAD), on the page and
through the API; a list of articles does not. These tests load the real model."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations import services
from annotations.models import Article, Span

from .suggestion_data import TEXT

pytestmark = pytest.mark.django_db

UPLOAD = reverse("annotations:article_new")


@pytest.fixture
def suggest_on_upload(settings):
    settings.SUGGEST_ON_UPLOAD = True


def form(**overrides):
    return {"title": "Pistes", "language": "fr", "text": TEXT, "action": "save"} | (
        overrides
    )


def test_the_upload_page_saves_the_article_with_its_suggestions(
    client, alice, suggest_on_upload
):
    client.force_login(alice)
    response = client.post(UPLOAD, form(), follow=True)
    article = Article.objects.get()
    suggestions = article.spans.filter(status=Span.Status.SUGGESTED)
    texts = set(suggestions.values_list("text", flat=True))
    assert {"Claire Fontaine", "Nous doublerons les pistes cyclables"} <= texts
    assert set(suggestions.values_list("created_by__username", flat=True)) == {"alice"}
    message = [str(m) for m in response.context["messages"]][0]
    assert f"with {suggestions.count()} suggestions" in message


def test_the_upload_page_makes_none_when_the_setting_is_off(client, alice, settings):
    settings.SUGGEST_ON_UPLOAD = False
    client.force_login(alice)
    client.post(UPLOAD, form())
    assert Article.objects.get().spans.count() == 0


def test_a_failing_suggester_never_loses_the_upload(
    client, alice, suggest_on_upload, monkeypatch
):
    def broken(*args, **kwargs):
        raise OSError("model missing")

    monkeypatch.setattr("annotations.suggest.suggest_text", broken)
    client.force_login(alice)
    response = client.post(UPLOAD, form(), follow=True)
    assert Article.objects.get().spans.count() == 0
    messages = [str(m) for m in response.context["messages"]]
    assert "no suggestions could be made" in messages[-1]


def test_the_api_runs_them_on_one_article(as_user, alice, suggest_on_upload):
    response = as_user(alice).post(
        "/api/v1/articles/", {"title": "Pistes", "text": TEXT}, format="json"
    )
    assert response.status_code == 201
    article = Article.objects.get(pk=response.json()["id"])
    assert article.spans.filter(status="suggested").count() >= 3


def test_the_api_runs_them_on_an_uploaded_file(as_user, alice, suggest_on_upload):
    upload = SimpleUploadedFile("pistes.txt", TEXT.encode(), "text/plain")
    response = as_user(alice).post(
        "/api/v1/articles/", {"file": upload, "language": "fr"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    article = Article.objects.get(pk=response.json()["id"])
    assert article.spans.filter(status="suggested").exists()


def test_a_list_of_articles_is_a_bulk_load_without_suggestions(
    as_user, alice, suggest_on_upload
):
    response = as_user(alice).post(
        "/api/v1/articles/",
        [{"title": "A", "text": TEXT}, {"title": "B", "text": TEXT + " Fin."}],
        format="json",
    )
    assert response.status_code == 201
    assert not Span.objects.exists()


def test_the_service_says_why_there_are_none(alice, suggest_on_upload, monkeypatch):
    monkeypatch.setattr(
        "annotations.suggest.suggest_text",
        lambda *a, **k: (_ for _ in ()).throw(ValueError("boom")),
    )
    article = services.article_upload(user=alice, title="T", text=TEXT)
    assert article.pk
    assert article.suggestion_run is None
    assert article.suggestion_error
