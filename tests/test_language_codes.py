"""Language codes in any case are accepted and stored as lowercase BCP 47."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Value
from django.urls import reverse

from annotations import services
from annotations.models import Article

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("FR", "fr"),
        ("fr", "fr"),
        (" En ", "en"),
        ("pt-BR", "pt-br"),
        ("pt_BR", "pt-br"),
    ],
)
def test_the_service_stores_lowercase(alice, given, stored):
    article = services.article_create(
        user=alice, title="T", text=f"Texte {given}.", language=given
    )
    article.refresh_from_db()
    assert article.language == stored


def test_the_upload_form_stores_lowercase(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("annotations:article_new"),
        {"title": "T", "text": "Un texte.", "language": "FR", "action": "save"},
    )
    assert response.status_code == 302
    assert Article.objects.get().language == "fr"


def test_the_upload_form_still_refuses_what_is_no_code(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("annotations:article_new"),
        {"title": "T", "text": "Un texte.", "language": "French!", "action": "save"},
    )
    assert "language" in response.context["form"].errors
    assert not Article.objects.exists()


def test_the_api_stores_lowercase(as_user, alice):
    client = as_user(alice)
    created = client.post(
        "/api/v1/articles/",
        {"title": "T", "text": "Un texte.", "language": "FR"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["language"] == "fr"
    article_id = created.json()["id"]
    edited = client.patch(
        f"/api/v1/articles/{article_id}/", {"language": "PT_br"}, format="json"
    )
    assert edited.json()["language"] == "pt-br"
    upload = SimpleUploadedFile("a.txt", b"Un autre texte.")
    uploaded = client.post(
        "/api/v1/articles/", {"file": upload, "language": "EN"}, format="multipart"
    )
    assert uploaded.json()["language"] == "en"


def test_the_api_refuses_what_is_no_code(as_user, alice):
    response = as_user(alice).post(
        "/api/v1/articles/",
        {"title": "T", "text": "Un texte.", "language": "F"},
        format="json",
    )
    assert response.status_code == 400
    assert "language" in response.json()["error"]["fields"]


def test_filters_read_any_case(client, as_user, alice, rita, labels):
    french = ArticleFactory(uploaded_by=alice, language="fr", title="Français")
    ArticleFactory(uploaded_by=alice, language="en", title="English")
    span = SpanFactory(article=french, label=labels["quote"], start=0, end=5)
    client.force_login(alice)
    page = client.get("/", {"language": "FR"})
    assert [a.title for a in page.context["page"].object_list] == ["Français"]
    api = as_user(alice)
    articles = api.get("/api/v1/articles/", {"language": "FR"}).json()["results"]
    assert [a["title"] for a in articles] == ["Français"]
    spans = api.get("/api/v1/spans/", {"language": "Fr"}).json()["results"]
    assert [s["id"] for s in spans] == [span.pk]
    export = api.get(
        "/api/v1/export/", {"language": "FR", "status": "pending", "format": "jsonl"}
    )
    assert b'"title": "Fran' in b"".join(export.streaming_content)
    client.force_login(rita)
    queue = client.get(reverse("annotations:review_queue"), {"language": "FR"})
    assert [row.pk for row in queue.context["rows"]] == [span.pk]


def test_the_migration_lowercases_stored_codes(alice):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "annotations.migrations.0010_article_language_lowercase"
    )
    article = ArticleFactory(uploaded_by=alice)
    # As stored before: Value() skips the field's own folding.
    Article.objects.filter(pk=article.pk).update(language=Value("PT_BR"))
    assert Article.objects.values_list("language", flat=True).get() == "PT_BR"
    migration.lowercase(apps, None)
    assert Article.objects.values_list("language", flat=True).get() == "pt-br"
