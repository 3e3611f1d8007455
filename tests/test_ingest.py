"""Uploaded files → canonical article text (annotations.ingest)."""

import io

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.ingest import text_from_upload, upload_title

SAVED_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<title>Le port de Kerbrat rouvre ses quais | La Vigie du Littoral</title>
<meta property="og:title" content="Le port de Kerbrat rouvre ses quais"></head>
<body>
<header><nav><ul><li><a href="/">Accueil</a></li><li><a href="/sport">Sport</a></li></ul>
<button>Sélectionner la langue</button><span>Down Icon</span></nav></header>
<div class="ad">Publicité — Abonnez-vous pour 1 € le premier mois !</div>
<main><article><h1>Le port de Kerbrat rouvre ses quais</h1>
<p>Après dix-huit mois de travaux, les quais du port de Kerbrat ont rouvert lundi matin
aux pêcheurs et aux plaisanciers.</p>
<p>« Nous avons enfin retrouvé notre outil de travail », a déclaré Yannick Le Goff,
président de la coopérative des pêcheurs, devant une cinquantaine de personnes.</p>
<p>Le chantier a coûté 6,3 millions d’euros, financés aux deux tiers par la région.</p>
</article></main>
<aside class="ad">Publicité : vos lunettes à moitié prix chez Optique Marine</aside>
<footer><p>© La Vigie du Littoral — Mentions légales — Contact</p></footer>
</body></html>
"""


def upload(name, data):
    return SimpleUploadedFile(name, data)


def docx_bytes(*paragraphs, title=""):
    document = docx.Document()
    document.core_properties.title = title
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_it_reads_utf8_text_and_canonicalises_it():
    data = "  « Déjà vu » 🚀\r\nSecond line\r\n\r\n".encode()
    text, title = text_from_upload(upload("story.txt", data))
    assert text == "« Déjà vu » 🚀\nSecond line"
    assert title == ""
    assert upload_title(upload("story.txt", data), title) == "story"
    assert upload_title(upload("story.txt", data), "Un titre") == "Un titre"


def test_it_composes_combining_accents():
    text, _ = text_from_upload(upload("story.txt", "Zoe\u0308 a\u0301".encode()))
    assert text == "Zoë á"


def test_it_drops_a_byte_order_mark():
    text, _ = text_from_upload(upload("story.txt", "\ufeffBonjour".encode()))
    assert text == "Bonjour"


def test_it_refuses_text_that_is_not_utf8():
    with pytest.raises(ValidationError) as caught:
        text_from_upload(upload("story.txt", "Déjà".encode("latin-1")))
    assert caught.value.code == "encoding"
    assert "UTF-8" in caught.value.messages[0]


def test_it_refuses_an_html_page_that_is_not_utf8():
    with pytest.raises(ValidationError) as caught:
        text_from_upload(upload("page.html", SAVED_PAGE.encode("cp1252")))
    assert caught.value.code == "encoding"


def test_it_extracts_the_article_body_from_a_saved_page():
    text, title = text_from_upload(upload("page.html", SAVED_PAGE.encode()))
    assert title == "Le port de Kerbrat rouvre ses quais"
    assert text.startswith("Après dix-huit mois de travaux")
    assert "« Nous avons enfin retrouvé notre outil de travail »" in text
    assert "6,3 millions d’euros" in text
    for furniture in ("Accueil", "Down Icon", "Publicité", "Mentions légales"):
        assert furniture not in text
    assert text.count("\n\n") == 2


def test_it_says_so_when_a_page_has_no_article():
    page = b"<html><head><title>Vide</title></head><body></body></html>"
    with pytest.raises(ValidationError) as caught:
        text_from_upload(upload("empty.html", page))
    assert caught.value.code in {"nothing_extracted", "empty"}


def test_it_joins_docx_paragraphs_with_blank_lines():
    data = docx_bytes(
        "Premier paragraphe 🚀.", "", "« Deuxième » paragraphe.", title="Un titre"
    )
    text, title = text_from_upload(upload("story.docx", data))
    assert text == "Premier paragraphe 🚀.\n\n« Deuxième » paragraphe."
    assert title == "Un titre"


def test_it_refuses_a_broken_docx():
    with pytest.raises(ValidationError) as caught:
        text_from_upload(upload("story.docx", b"PK\x03\x04 not really a zip"))
    assert caught.value.code == "unreadable"


@pytest.mark.parametrize("name", ["scan.pdf", "story", "notes.md", "sheet.xlsx"])
def test_it_refuses_unsupported_types(name):
    with pytest.raises(ValidationError) as caught:
        text_from_upload(upload(name, b"anything"))
    assert caught.value.code == "unsupported_type"
    assert ".docx" in caught.value.messages[0]


def test_it_accepts_an_upper_case_suffix():
    text, _ = text_from_upload(upload("STORY.TXT", b"Hello"))
    assert text == "Hello"


def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(ValidationError) as caught:
        text_from_upload(upload("story.txt", b"a" * 101))
    assert caught.value.code == "too_large"
    assert "100" in caught.value.messages[0]


def test_it_accepts_a_file_exactly_at_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 100
    text, _ = text_from_upload(upload("story.txt", b"a" * 100))
    assert len(text) == 100


def test_it_checks_the_size_of_a_file_object_without_one(settings):
    settings.UPLOAD_MAX_BYTES = 10
    stream = io.BytesIO(b"b" * 11)
    stream.name = "story.txt"
    with pytest.raises(ValidationError) as caught:
        text_from_upload(stream)
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("data", [b"", b"   \n\t  "])
def test_it_refuses_an_empty_file(data):
    with pytest.raises(ValidationError) as caught:
        text_from_upload(upload("story.txt", data))
    assert caught.value.code == "empty"


def test_it_refuses_a_nul_character():
    with pytest.raises(ValidationError) as caught:
        text_from_upload(upload("story.txt", b"abc\x00def"))
    assert caught.value.code == "invalid_character"
