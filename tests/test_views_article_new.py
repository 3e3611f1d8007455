"""Upload at /articles/new/: pasted text or a file, preview, then save."""

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from annotations.models import Article, AuditEvent

from .test_ingest import SAVED_PAGE

pytestmark = pytest.mark.django_db

URL = reverse("annotations:article_new")
TEXT = "« Bonjour », dit Zoé 🚀 à l’équipe.\r\n\r\nDeuxième paragraphe.  "


def fields(**overrides):
    data = {
        "title": "Un titre",
        "language": "fr",
        "source_url": "https://example.org/story",
        "outlet": "La Gazette",
        "byline": "Élodie Marchand",
        "published_on": "2026-03-14",
        "text": TEXT,
        "action": "save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def errors(response):
    return response.context["form"].errors


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_the_form_with_the_documented_field_names(client, alice):
    client.force_login(alice)
    content = client.get(URL).content.decode()
    for name in ("title", "text", "file", "language", "source_url", "outlet"):
        assert f'name="{name}"' in content
    assert 'enctype="multipart/form-data"' in content


@pytest.mark.parametrize("persona", ["rita", "carl", "nemo"])
def test_it_refuses_everyone_but_editors(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, fields()).status_code == 403
    assert not Article.objects.exists()


def test_it_saves_pasted_text_canonically_and_redirects(client, alice):
    client.force_login(alice)
    response = client.post(URL, fields())
    article = Article.objects.get()
    assertRedirects(response, reverse("annotations:article_detail", args=[article.pk]))
    assert article.text == "« Bonjour », dit Zoé 🚀 à l’équipe.\n\nDeuxième paragraphe."
    assert article.uploaded_by == alice
    assert (article.title, article.outlet, article.byline) == (
        "Un titre",
        "La Gazette",
        "Élodie Marchand",
    )
    assert article.published_on.isoformat() == "2026-03-14"
    assert AuditEvent.objects.for_object(article).count() == 1


def test_it_previews_the_canonical_text_without_saving(client, alice):
    client.force_login(alice)
    response = client.post(URL, fields(action="preview", title=""))
    assert response.status_code == 200
    assert not Article.objects.exists()
    preview = response.context["preview"]
    assert (
        preview["text"] == "« Bonjour », dit Zoé 🚀 à l’équipe.\n\nDeuxième paragraphe."
    )
    assert preview["paragraphs"] == 2
    content = response.content.decode()
    assert "the text that will be stored" in content
    # The text box now holds the canonical text, ready to trim and save.
    assert "Deuxième paragraphe.</textarea>" in content


def test_it_previews_an_html_page_with_its_title(client, alice):
    client.force_login(alice)
    page = SimpleUploadedFile("page.html", SAVED_PAGE.encode(), "text/html")
    response = client.post(URL, fields(action="preview", title="", text="", file=page))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["title"] == "Le port de Kerbrat rouvre ses quais"
    assert form.initial["text"].startswith("Après dix-huit mois")
    assert "Down Icon" not in form.initial["text"]
    assert response.context["preview"]["file_name"] == "page.html"
    assert not Article.objects.exists()


def test_it_saves_an_html_upload_directly_with_the_page_title(client, alice):
    client.force_login(alice)
    page = SimpleUploadedFile("page.html", SAVED_PAGE.encode(), "text/html")
    client.post(URL, fields(title="", text="", file=page))
    article = Article.objects.get()
    assert article.title == "Le port de Kerbrat rouvre ses quais"
    assert "Publicité" not in article.text


def test_it_saves_a_txt_upload(client, alice):
    client.force_login(alice)
    upload = SimpleUploadedFile("story.txt", "Zoe\u0308 👩‍💻 🇫🇷\n".encode())
    client.post(URL, fields(text="", file=upload))
    assert Article.objects.get().text == "Zoë 👩‍💻 🇫🇷"


def test_it_saves_a_docx_upload(client, alice):
    document = docx.Document()
    document.add_paragraph("Premier paragraphe.")
    document.add_paragraph("« Second » paragraphe 🚀.")
    buffer = io.BytesIO()
    document.save(buffer)
    client.force_login(alice)
    upload = SimpleUploadedFile("story.docx", buffer.getvalue())
    client.post(URL, fields(text="", file=upload))
    assert (
        Article.objects.get().text == "Premier paragraphe.\n\n« Second » paragraphe 🚀."
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("story.txt", "Déjà".encode("latin-1")), "not valid UTF-8"),
        (("scan.pdf", b"%PDF-1.7"), "not a supported file type"),
        (("story.docx", b"garbage"), "could not be read as a Word document"),
        (("empty.html", b"<html><body></body></html>"), "No article text"),
    ],
)
def test_it_shows_file_errors_on_the_form(client, alice, upload, message):
    client.force_login(alice)
    name, data = upload
    response = client.post(URL, fields(text="", file=SimpleUploadedFile(name, data)))
    assert response.status_code == 200
    assert message in " ".join(errors(response)["file"])
    assert message in response.content.decode()
    assert not Article.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(client, alice, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    client.force_login(alice)
    upload = SimpleUploadedFile("story.txt", b"a" * 1025)
    response = client.post(URL, fields(text="", file=upload))
    assert "largest file accepted" in " ".join(errors(response)["file"])
    assert not Article.objects.exists()


def test_it_asks_for_text_when_there_is_none(client, alice):
    client.force_login(alice)
    response = client.post(URL, fields(text="   \n  "))
    assert response.status_code == 200
    assert "Paste the article text" in " ".join(errors(response)["text"])
    assert not Article.objects.exists()


def test_it_refuses_both_text_and_a_file(client, alice):
    client.force_login(alice)
    upload = SimpleUploadedFile("story.txt", b"Hello")
    response = client.post(URL, fields(file=upload))
    assert "not both" in " ".join(errors(response)["__all__"])
    assert not Article.objects.exists()


def test_it_asks_for_a_title_on_save(client, alice):
    client.force_login(alice)
    response = client.post(URL, fields(title=""))
    assert "Give the article a title." in errors(response)["title"]
    assert not Article.objects.exists()


def test_it_shows_model_errors_on_the_form(client, alice, settings):
    settings.ARTICLE_MAX_CHARS = 10
    client.force_login(alice)
    response = client.post(URL, fields(language="French!", text="Far too long a text"))
    assert "limit is 10" in " ".join(errors(response)["text"])
    assert "language" in errors(response)
    assert not Article.objects.exists()


def test_it_returns_the_form_fragment_for_htmx(client, alice):
    client.force_login(alice)
    response = client.post(
        URL, fields(action="preview"), headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<form id="upload-form"')
    assert "<html" not in content


def test_it_redirects_htmx_clients_after_saving(client, alice):
    client.force_login(alice)
    response = client.post(URL, fields(), headers={"HX-Request": "true"})
    article = Article.objects.get()
    assert response["HX-Redirect"] == reverse(
        "annotations:article_detail", args=[article.pk]
    )


def test_it_rejects_put(client, alice):
    client.force_login(alice)
    assert client.put(URL).status_code == 405
