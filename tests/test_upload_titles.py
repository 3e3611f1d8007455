"""The title of an uploaded file, one rule for the upload form and the API.

A title typed by the uploader wins; else the one the file carries (a web
page's title, a Word document's title); else the file's name without its
extension. Pasted text has no file to name it, so it needs a typed title.
"""

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.models import Article

pytestmark = pytest.mark.django_db

FORM = reverse("annotations:article_new")
API = "/api/v1/articles/"
PAGE = (
    "<html><head><title>Le budget voté</title></head><body><article>"
    "<p>Le conseil a voté le budget jeudi soir après trois heures de débat.</p>"
    "<p>L’opposition dénonce un projet mal financé.</p></article></body></html>"
)


def word_file(title=""):
    document = docx.Document()
    document.core_properties.title = title
    document.add_paragraph("Un paragraphe écrit pour ce test.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


FILES = {
    "txt": ("conseil-municipal.txt", "Le maire a parlé.".encode(), "conseil-municipal"),
    "docx": ("compte-rendu.docx", word_file(), "compte-rendu"),
    "titled docx": ("x.docx", word_file("Séance du conseil"), "Séance du conseil"),
    "html": ("page.html", PAGE.encode(), "Le budget voté"),
}


def upload(kind):
    name, data, _title = FILES[kind]
    return SimpleUploadedFile(name, data)


def form_fields(kind, **extra):
    return {"title": "", "language": "fr", "text": "", "file": upload(kind), **extra}


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_form_names_an_untitled_upload(client, alice, kind):
    client.force_login(alice)
    response = client.post(FORM, form_fields(kind, action="save"))
    assert response.status_code == 302
    assert Article.objects.get().title == FILES[kind][2]


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_htmx_form_names_an_untitled_upload(client, alice, kind):
    client.force_login(alice)
    response = client.post(
        FORM, form_fields(kind, action="save"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    article = Article.objects.get()
    assert response["HX-Redirect"] == f"/articles/{article.pk}/"
    assert article.title == FILES[kind][2]


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_preview_fills_in_the_same_title(client, alice, kind):
    client.force_login(alice)
    response = client.post(FORM, form_fields(kind, action="preview"))
    assert response.context["form"].initial["title"] == FILES[kind][2]
    assert not Article.objects.exists()


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_api_names_an_untitled_upload(as_user, alice, kind):
    response = as_user(alice).post(API, {"file": upload(kind)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["title"] == FILES[kind][2]


def test_a_typed_title_wins_everywhere(client, as_user, alice):
    client.force_login(alice)
    client.post(FORM, form_fields("html", title="Mon titre", action="save"))
    response = as_user(alice).post(
        API, {"file": upload("txt"), "title": "Son titre"}, format="multipart"
    )
    assert response.status_code == 201
    titles = Article.objects.order_by("pk").values_list("title", flat=True)
    assert list(titles) == ["Mon titre", "Son titre"]


def test_pasted_text_still_needs_a_title(client, as_user, alice):
    client.force_login(alice)
    response = client.post(
        FORM, {"title": "", "text": "Un texte collé.", "action": "save"}
    )
    assert "Give the article a title." in response.context["form"].errors["title"]
    response = as_user(alice).post(API, {"text": "Un texte collé."}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()["error"]["fields"]
    assert not Article.objects.exists()
