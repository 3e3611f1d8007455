import pytest
from django.db import connection

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


# Accents and case do not matter, on PostgreSQL (unaccent in the trigger and
# the query) and on SQLite (the same folding in Python).


@pytest.fixture
def accented(alice):
    services.article_create(
        user=alice,
        title="Le développement du port",
        text="Les élus débattent d’un projet à Kerbrat. L’œuvre de Zoé Lefèvre.",
    )
    services.article_create(
        user=alice, title="Ferry", text="The ferry to Gull Island keeps running."
    )


@pytest.mark.parametrize(
    "query",
    [
        "developpement",
        "DÉVELOPPEMENT",
        "Developpement",
        "débattent",
        "debattent",
        "eLUs",
        "oeuvre",
        "lefevre",
        '"zoe lefevre"',
        "developpement -ferry",
        "ferry or developpement",
    ],
)
def test_it_ignores_accents_and_case(accented, query):
    assert "Le développement du port" in found(query)


def test_it_still_excludes_with_accents(accented):
    assert found("port -élus") == set()
    assert found("port -elus") == set()
    assert found("kerbrat -developpement") == set()


def test_it_folds_accents_for_the_list_page_and_the_api(client, as_user, alice):
    services.article_create(
        user=alice, title="Développement durable", text="Un texte écrit ici."
    )
    client.force_login(alice)
    page = client.get("/", {"search": "developpement"})
    assert [a.title for a in page.context["page"].object_list] == [
        "Développement durable"
    ]
    response = as_user(alice).get("/api/v1/articles/", {"search": "DEVELOPPEMENT"})
    assert [a["title"] for a in response.json()["results"]] == ["Développement durable"]


def test_it_folds_the_document_again_after_an_edit(alice):
    article = services.article_create(user=alice, title="T", text="Un café serré.")
    services.article_update(article=article, user=alice, title="Élection à Évry")
    assert found("election evry") == {"Élection à Évry"}
    assert found("cafe") == {"Élection à Évry"}


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite keeps a folded copy by trigger"
)
def test_sqlite_keeps_the_folded_text_whatever_writes_the_row(alice):
    from annotations.apps import _add_sqlite_search_triggers

    Article.objects.bulk_create(
        [Article(title="Élu", text="Un député réélu.", uploaded_by=alice)]
    )
    assert found("reelu") == {"Élu"}
    Article.objects.update(title="Été")
    assert found("ete") == {"Été"}
    # A migration that rebuilds the table drops its triggers; migrate puts
    # them back.
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER annotations_article_search_text_update")
    _add_sqlite_search_triggers(None, using="default")
    Article.objects.update(text="Une fête.")
    assert found("fete") == {"Été"}
