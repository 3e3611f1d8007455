import pytest

from annotations import services
from annotations.models import Article

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def found(query):
    return set(Article.objects.search(query).values_list("title", flat=True))


def test_it_finds_words_of_the_title_and_the_text(alice):
    ArticleFactory(title="Budget voté", text="Le conseil a voté hier soir.")
    ArticleFactory(title="Ferry", text="The night ferry stays.")
    assert found("conseil") == {"Budget voté"}
    assert found("budget") == {"Budget voté"}
    assert found("ferry -budget") == {"Ferry"}


def test_it_follows_a_title_edit(alice):
    article = services.article_create(user=alice, title="Avant", text="Un texte.")
    services.article_update(article=article, user=alice, title="Après la réunion")
    assert found("réunion") == {"Après la réunion"}
    assert found("avant") == set()


def test_it_follows_a_text_edit_before_spans(alice):
    article = services.article_create(user=alice, title="T", text="Premier jet.")
    services.article_update(article=article, user=alice, text="Second passage.")
    assert found("passage") == {"T"}
    assert found("premier") == set()
