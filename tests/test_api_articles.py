import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations import services
from annotations.models import Article, AuditEvent
from annotations.text import sha256_hex

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/articles/"

NEW = {
    "title": "Le maire s’explique",
    "text": "« Nous tiendrons parole », a dit le maire.\r\n🚀 Fin. ",
    "language": "fr",
    "outlet": "Le Jour",
    "source_url": "https://example.org/maire",
}


def detail(article):
    return f"{URL}{article.pk}/"


def test_it_requires_authentication(api, article):
    for response in (
        api.get(URL),
        api.get(detail(article)),
        api.post(URL, NEW, format="json"),
        api.patch(detail(article), {"title": "x"}, format="json"),
        api.delete(detail(article)),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [
        ("alice", 200, 201),
        ("rita", 200, 403),
        ("carl", 200, 403),
        ("ada", 200, 201),
        ("nemo", 403, 403),
    ],
)
def test_it_follows_the_role_matrix(request, as_user, article, persona, read, write):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(URL).status_code == read
    assert client.get(detail(article)).status_code == read
    response = client.post(URL, NEW, format="json")
    assert response.status_code == write
    patch = client.patch(detail(article), {"title": "Changé"}, format="json")
    expected_patch = {201: 200, 403: 403}[write]
    if persona == "nemo":
        expected_patch = 403
    assert patch.status_code == expected_patch


def test_it_creates_an_article_with_canonical_text(as_user, alice):
    response = as_user(alice).post(URL, NEW, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["text"] == "« Nous tiendrons parole », a dit le maire.\n🚀 Fin."
    assert data["text_sha256"] == sha256_hex(data["text"])
    assert data["uploaded_by"] == "alice"
    assert data["span_counts"] == {"pending": 0, "approved": 0, "rejected": 0}
    assert Article.objects.get().title == "Le maire s’explique"


def test_it_lists_articles_with_span_counts(as_user, alice, rita, labels):
    article = ArticleFactory(uploaded_by=alice, text="un deux trois")
    SpanFactory(article=article, start=0, end=2, label=labels["claim"])
    SpanFactory(
        article=article, start=3, end=7, label=labels["claim"], status="approved"
    )
    response = as_user(rita).get(URL)
    [item] = response.json()["results"]
    assert item["span_counts"] == {"pending": 1, "approved": 1, "rejected": 0}
    assert item["text"] == "un deux trois"


def test_it_shows_consumers_only_the_approved_count(as_user, alice, carl, labels):
    article = ArticleFactory(uploaded_by=alice, text="un deux trois")
    SpanFactory(article=article, start=0, end=2, label=labels["claim"])
    response = as_user(carl).get(detail(article))
    assert response.json()["span_counts"] == {
        "pending": None,
        "approved": 0,
        "rejected": None,
    }


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"language": "en"}, {"Harbour"}),
        ({"outlet": "le jour"}, {"Mairie"}),
        ({"uploader": "bob"}, {"Harbour"}),
        ({"search": "ferry"}, {"Harbour"}),
        ({"search": "MAIRIE"}, {"Mairie"}),
        ({"status": "not_started"}, {"Harbour"}),
        ({"status": "awaiting_review"}, {"Mairie"}),
        ({"status": "reviewed"}, set()),
        ({"created_after": "2999-01-01T00:00:00Z"}, set()),
    ],
)
def test_it_filters_the_list(as_user, alice, bob, labels, params, titles):
    mairie = ArticleFactory(title="Mairie", uploaded_by=alice, outlet="Le Jour")
    SpanFactory(article=mairie, label=labels["quote"])
    ArticleFactory(title="Harbour", uploaded_by=bob, language="en", text="The ferry.")
    response = as_user(alice).get(URL, params)
    assert response.status_code == 200
    assert {a["title"] for a in response.json()["results"]} == titles


def test_it_derives_in_progress_and_reviewed(as_user, alice, rita, labels):
    article = ArticleFactory(uploaded_by=alice, text="un deux trois")
    first = SpanFactory(article=article, start=0, end=2, label=labels["claim"])
    SpanFactory(article=article, start=3, end=7, label=labels["claim"])
    client = as_user(alice)
    services.span_approve(span=first, user=rita, version=1)
    assert len(client.get(URL, {"status": "in_progress"}).json()["results"]) == 1
    assert len(client.get(URL, {"status": "reviewed"}).json()["results"]) == 0


def test_it_refuses_an_unknown_status_filter(as_user, alice):
    response = as_user(alice).get(URL, {"status": "done"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_it_pages_with_a_capped_page_size(as_user, alice):
    ArticleFactory.create_batch(5, uploaded_by=alice)
    response = as_user(alice).get(URL, {"page_size": 2})
    data = response.json()
    assert data["count"] == 5
    assert len(data["results"]) == 2
    assert data["next"]
    response = as_user(alice).get(URL, {"page_size": 10_000})
    assert len(response.json()["results"]) == 5


@pytest.mark.parametrize("n", [10, 200])
def test_it_lists_with_a_constant_number_of_queries(
    as_user, alice, labels, django_assert_num_queries, n
):
    for article in ArticleFactory.create_batch(n, uploaded_by=alice):
        SpanFactory(article=article, label=labels["quote"])
    client = as_user(alice)
    # roles, count, page (span counts are annotated in the same query), the
    # assigned annotators
    with django_assert_num_queries(4):
        response = client.get(URL, {"page_size": 200})
    assert len(response.json()["results"]) == n


def test_it_edits_metadata(as_user, alice, article):
    response = as_user(alice).patch(
        detail(article), {"title": "Nouveau", "outlet": "Le Soir"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Nouveau"
    article.refresh_from_db()
    assert article.outlet == "Le Soir"


def test_it_edits_the_text_before_any_span(as_user, alice, article):
    response = as_user(alice).patch(
        detail(article), {"text": "Texte neuf."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["text_sha256"] == sha256_hex("Texte neuf.")


def test_it_refuses_a_text_edit_once_spans_exist(as_user, alice, article, labels):
    SpanFactory(article=article, label=labels["quote"])
    response = as_user(alice).patch(detail(article), {"text": "Autre."}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "can no longer be changed" in error["fields"]["text"][0]
    assert "can no longer be changed" in error["message"]
    article.refresh_from_db()
    assert article.text != "Autre."


def test_it_refuses_put(as_user, alice, article):
    response = as_user(alice).put(detail(article), NEW, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_it_soft_deletes_for_the_uploader(as_user, alice, article):
    response = as_user(alice).delete(detail(article))
    assert response.status_code == 204
    article.refresh_from_db()
    assert article.is_deleted is True
    assert as_user(alice).get(detail(article)).status_code == 404


def test_it_refuses_deletion_by_another_editor(as_user, bob, article):
    response = as_user(bob).delete(detail(article))
    assert response.status_code == 403
    assert "uploaded this article" in response.json()["error"]["message"]


def test_it_hard_deletes_for_an_admin(as_user, ada, article):
    assert as_user(ada).delete(detail(article)).status_code == 204
    assert not Article.objects.filter(pk=article.pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_id=article.pk).exists()


def test_it_creates_in_bulk(as_user, alice):
    items = [
        dict(NEW, title=f"Article {i}", text=f"Texte numéro {i}.") for i in range(30)
    ]
    response = as_user(alice).post(URL, items, format="json")
    assert response.status_code == 201
    assert len(response.json()) == 30
    assert Article.objects.count() == 30
    assert response.json()[7]["title"] == "Article 7"


def test_it_stores_nothing_from_a_bulk_with_one_bad_item(as_user, alice):
    items = [dict(NEW, title=f"Article {i}", text=f"Texte {i}.") for i in range(5)]
    items[3]["text"] = "   "
    items[4]["language"] = "Français"
    response = as_user(alice).post(URL, items, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["fields"]) == {"3", "4"}
    assert "text" in error["fields"]["3"]
    assert "language" in error["fields"]["4"]
    assert "item 3" in error["message"]
    assert Article.objects.count() == 0


def test_it_refuses_a_bulk_over_1000(as_user, alice):
    items = [{"title": "t", "text": "x"}] * 1001
    response = as_user(alice).post(URL, items, format="json")
    assert response.status_code == 400
    assert "at most 1000" in response.json()["error"]["message"]
    assert Article.objects.count() == 0


def test_it_refuses_an_empty_bulk(as_user, alice):
    response = as_user(alice).post(URL, [], format="json")
    assert response.status_code == 400


def test_it_creates_an_article_from_an_uploaded_file(as_user, alice):
    upload = SimpleUploadedFile(
        "maire.txt",
        "Le maire a parlé\r\n« Oui » 🚀".encode(),
        content_type="text/plain",
    )
    response = as_user(alice).post(
        URL, {"file": upload, "language": "fr", "outlet": "Le Jour"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["text"] == "Le maire a parlé\n« Oui » 🚀"
    assert data["title"] == "maire"
    assert data["outlet"] == "Le Jour"


def test_it_takes_the_title_of_an_uploaded_html_page(as_user, alice):
    page = (
        "<html><head><title>Le budget voté</title></head><body><nav>Menu</nav>"
        "<article><h1>Le budget voté</h1><p>"
        + "Le conseil a voté le budget de la ville pour l’an prochain. " * 8
        + "</p></article></body></html>"
    )
    upload = SimpleUploadedFile("page.html", page.encode(), content_type="text/html")
    response = as_user(alice).post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["title"] == "Le budget voté"
    assert "Menu" not in response.json()["text"]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("a.txt", "Été".encode("latin-1"), "not valid UTF-8"),
        ("a.pdf", b"%PDF-1.4", "not a supported file type"),
        ("a.txt", b"   ", "empty"),
    ],
)
def test_it_refuses_a_bad_upload_naming_the_problem(
    as_user, alice, name, content, words
):
    upload = SimpleUploadedFile(name, content)
    response = as_user(alice).post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert words in response.json()["error"]["fields"]["file"][0]
    assert Article.objects.count() == 0


def test_it_refuses_an_oversized_upload(as_user, alice, settings):
    settings.UPLOAD_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.txt", b"x" * 500)
    response = as_user(alice).post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_it_refuses_read_only_fields_in_an_edit(as_user, alice, article):
    response = as_user(alice).patch(
        detail(article),
        {"title": "Nouveau", "uploaded_by": "bob", "text_sha256": "0" * 64, "x": 1},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"uploaded_by", "text_sha256", "x"}
    assert "set by the server" in fields["uploaded_by"][0]
    assert "Unknown field" in fields["x"][0]
    article.refresh_from_db()
    assert article.title != "Nouveau"
