"""Upload at /articles/new/: pasted text or a file, preview, then save."""

import io
from pathlib import Path

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from annotations.models import Article, AuditEvent
from annotations.text import sha256_hex

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
    assert "The stored text is exactly the paragraphs kept." in content
    # Each paragraph has its checkbox; the whole text rides along, hidden.
    assert content.count('name="keep"') == 2
    assert 'type="hidden" name="text"' in content
    assert "</textarea>" not in content


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


# The preview that cleans itself (furniture.py decides; these check the page).

SAMPLE = (Path(__file__).parent / "data" / "furniture_fr.txt").read_text("utf-8")
HEADLINE = "La Garonne sort de son lit à Toulouse"
LAST_PARAGRAPH = "sur les Pyrénées d’ici là."


def preview(client, **overrides):
    response = client.post(URL, fields(action="preview", **overrides))
    assert response.status_code == 200
    return response


def choices(response):
    """Return the data a browser would send back from the preview, as shown."""
    form = response.context["form"]
    data = {name: form.initial.get(name) or "" for name in form.Meta.fields}
    data.update(
        previewed=form.initial["previewed"],
        keep=[p.index for p, checked in response.context["preview"]["rows"] if checked],
        action="save",
    )
    data["published_on"] = ""
    return data


def test_it_pre_drops_furniture_and_says_why(client, alice):
    client.force_login(alice)
    response = preview(client, title="", byline="", text=SAMPLE)
    content = response.content.decode()
    rows = response.context["preview"]["rows"]
    dropped = {p.text: p.reason_text for p, checked in rows if not checked}
    assert dropped["Down Icon"] == "menu or button words"
    assert dropped["Toutes les actualités"] == "menu or button words"
    assert dropped[HEADLINE] == "the headline again"
    assert dropped["• Copier le lien"] == "menu or button words"
    assert "menu or button words" in content and "the headline again" in content
    # Unticked boxes for dropped lines, ticked for kept ones.
    assert content.count('name="keep"') == len(rows)
    assert content.count(" checked>") == sum(checked for _p, checked in rows)
    # Title and byline suggested from the text.
    form = response.context["form"]
    assert form.initial["title"] == HEADLINE
    assert form.initial["byline"] == "Hélène Vidal"
    assert f'value="{HEADLINE}"' in content
    assert not Article.objects.exists()


def test_it_stores_exactly_the_kept_paragraphs(client, alice):
    client.force_login(alice)
    response = preview(client, title="", byline="", text=SAMPLE)
    data = choices(response)
    client.post(URL, data)
    article = Article.objects.get()
    assert article.title == HEADLINE
    assert article.byline == "Hélène Vidal"
    assert article.text.startswith(HEADLINE + "\n\nAprès trois jours")
    assert article.text.endswith(LAST_PARAGRAPH)
    assert article.text == response.context["preview"]["text"]


def test_it_stores_the_editor_s_own_choice(client, alice):
    client.force_login(alice)
    response = preview(client, text=SAMPLE)
    data = choices(response)
    rows = response.context["preview"]["rows"]
    menu = next(p.index for p, _checked in rows if p.text == "Down Icon")
    data["keep"] = [menu, *data["keep"][:1]]
    client.post(URL, data)
    assert Article.objects.get().text == f"Down Icon\n\n{HEADLINE}"


def test_it_keeps_the_choice_when_the_save_is_refused(client, alice):
    client.force_login(alice)
    data = choices(preview(client, text=SAMPLE))
    data.update(title="", keep=data["keep"][:2])
    response = client.post(URL, data)
    assert "Give the article a title." in errors(response)["title"]
    rows = response.context["preview"]["rows"]
    assert [p.index for p, checked in rows if checked] == data["keep"]
    assert not Article.objects.exists()


def test_it_refuses_to_keep_nothing(client, alice):
    client.force_login(alice)
    data = choices(preview(client, text=SAMPLE))
    data["keep"] = []
    response = client.post(URL, data)
    assert "Keep at least one paragraph" in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.parametrize("keep", [["x"], ["-1"]])
def test_it_refuses_paragraph_numbers_that_are_not_numbers(client, alice, keep):
    client.force_login(alice)
    data = choices(preview(client, text=SAMPLE))
    data["keep"] = keep
    response = client.post(URL, data)
    assert "not a list of numbers" in " ".join(errors(response)["keep"])
    assert not Article.objects.exists()


def test_it_suggests_afresh_when_the_text_is_not_the_previewed_one(client, alice):
    client.force_login(alice)
    data = choices(preview(client, text=SAMPLE))
    data["text"] = SAMPLE.replace("Toulouse", "Bordeaux")
    response = client.post(URL, data)
    assert "had changed since its preview" in response.content.decode()
    assert response.context["preview"]["stale"] is True
    assert response.context["preview"]["text"].startswith(
        HEADLINE.replace("Toulouse", "Bordeaux")
    )
    assert not Article.objects.exists()


def test_it_goes_back_to_the_text_box_with_the_kept_text(client, alice):
    client.force_login(alice)
    response = preview(client, text=SAMPLE)
    data = {**choices(response), "action": "edit"}
    response = client.post(URL, data)
    assert response.context["preview"] is None
    assert response.context["form"].initial["text"].startswith(HEADLINE)
    assert "</textarea>" in response.content.decode()


def test_it_cleans_a_txt_file_too(client, alice):
    client.force_login(alice)
    upload = SimpleUploadedFile("garonne.txt", SAMPLE.encode())
    response = preview(client, title="", text="", file=upload)
    assert response.context["preview"]["text"].startswith(HEADLINE + "\n\n")
    assert response.context["form"].initial["title"] == HEADLINE
    client.post(URL, choices(response))
    assert Article.objects.get().text.endswith(LAST_PARAGRAPH)


def test_it_cleans_an_html_page_and_keeps_its_own_title(client, alice):
    client.force_login(alice)
    page = SimpleUploadedFile("page.html", SAVED_PAGE.encode(), "text/html")
    response = preview(client, title="", text="", file=page)
    assert response.context["form"].initial["title"] == (
        "Le port de Kerbrat rouvre ses quais"
    )
    client.post(URL, choices(response))
    assert Article.objects.get().text.startswith("Après dix-huit mois")


def test_it_warns_of_identical_text_already_stored_with_a_link(client, alice, bob):
    client.force_login(alice)
    response = preview(client, text=SAMPLE)
    kept = response.context["preview"]["text"]
    stored = Article.objects.create(
        title="Déjà là", text=kept, text_sha256=sha256_hex(kept), uploaded_by=bob
    )
    content = preview(client, text=SAMPLE).content.decode()
    assert "This text is already stored:" in content
    assert (
        f'href="{reverse("annotations:article_detail", args=[stored.pk])}"' in content
    )
    # A deleted article is not a copy anyone can open.
    stored.soft_delete()
    assert "already stored" not in preview(client, text=SAMPLE).content.decode()
