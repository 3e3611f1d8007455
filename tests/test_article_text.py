import pytest
from django.core.exceptions import ValidationError

from annotations import services
from annotations.models import Article
from annotations.text import sha256_hex

pytestmark = pytest.mark.django_db


def test_it_stores_canonical_text_and_its_hash(alice):
    article = services.article_create(
        user=alice, title="T", text="  Cafe\u0301\r\nbar\r  ", language="fr"
    )
    article.refresh_from_db()
    assert article.text == "Café\nbar"
    assert article.text_sha256 == sha256_hex("Café\nbar")


def test_it_refuses_empty_text(alice):
    with pytest.raises(ValidationError) as excinfo:
        services.article_create(user=alice, title="T", text=" \n\t ")
    assert "empty" in excinfo.value.message_dict["text"][0]
    assert not Article.objects.exists()


def test_it_refuses_a_bad_language_code(alice):
    with pytest.raises(ValidationError) as excinfo:
        services.article_create(user=alice, title="T", text="x", language="French!")
    assert "language" in excinfo.value.message_dict


def test_it_allows_a_text_edit_before_any_span(alice):
    article = services.article_create(user=alice, title="T", text="Premier jet.")
    services.article_update(article=article, user=alice, text="Second jet.")
    article.refresh_from_db()
    assert article.text == "Second jet."
    assert article.text_sha256 == sha256_hex("Second jet.")


def test_it_refuses_a_text_edit_once_a_span_exists(alice, labels):
    article = services.article_create(user=alice, title="T", text="Premier jet.")
    services.span_create(
        user=alice, article=article, label=labels["claim"], start=0, end=7
    )
    with pytest.raises(ValidationError) as excinfo:
        services.article_update(article=article, user=alice, text="Second jet.")
    assert "can no longer be changed" in excinfo.value.message_dict["text"][0]
    article.refresh_from_db()
    assert article.text == "Premier jet."


def test_it_allows_metadata_edits_once_a_span_exists(alice, labels):
    article = services.article_create(user=alice, title="T", text="Premier jet.")
    services.span_create(
        user=alice, article=article, label=labels["claim"], start=0, end=7
    )
    # Sending the same text back (after canonicalisation) is not a change.
    services.article_update(
        article=article, user=alice, title="Nouveau titre", text="Premier jet.\r\n"
    )
    article.refresh_from_db()
    assert article.title == "Nouveau titre"


def test_it_soft_deletes_for_an_editor_and_hard_deletes_for_an_admin(alice, ada):
    kept = services.article_create(user=alice, title="A", text="Texte A.")
    gone = services.article_create(user=alice, title="B", text="Texte B.")
    services.article_delete(article=kept, user=alice)
    services.article_delete(article=gone, user=ada)
    kept.refresh_from_db()
    assert kept.is_deleted is True
    assert not Article.objects.filter(pk=gone.pk).exists()
    assert list(Article.objects.visible_to(alice)) == []
