"""Uploading a text identical to an article already stored: one rule in
services.article_create, a warning with a link on the upload page, a 409
with the existing id in the API, unless the uploader says it is meant.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations import services
from annotations.models import Article

pytestmark = pytest.mark.django_db

NEW = reverse("annotations:article_new")
API = "/api/v1/articles/"
TEXT = "Le conseil a voté le budget.\n\nL’opposition s’abstient."


@pytest.fixture
def original(alice):
    return services.article_create(user=alice, title="Budget voté", text=TEXT)


def form(**overrides):
    return {
        "title": "Copie",
        "language": "fr",
        "text": TEXT,
        "action": "save",
        **overrides,
    }


# The rule


@pytest.mark.parametrize(
    "same",
    [
        TEXT,
        TEXT.replace("\n", "\r\n"),
        f"  {TEXT}\n\n",
        TEXT.replace("é", "e\u0301"),
        TEXT.encode(),
    ],
    ids=["same", "crlf", "padded", "decomposed", "bytes"],
)
def test_the_service_refuses_the_same_canonical_text(bob, original, same):
    with pytest.raises(services.DuplicateArticle) as refused:
        services.article_create(user=bob, title="Copie", text=same)
    assert refused.value.existing == original
    assert "identical to article" in refused.value.message
    assert services.article_duplicate_of(user=bob, text=same) == original
    assert Article.objects.count() == 1


def test_the_service_stores_a_meant_copy(alice, original):
    copy = services.article_create(
        user=alice, title="Copie", text=TEXT, allow_duplicate=True
    )
    assert copy.text_sha256 == original.text_sha256
    assert Article.objects.count() == 2


def test_a_deleted_article_is_no_duplicate(alice, original):
    services.article_delete(article=original, user=alice)
    assert services.article_duplicate_of(user=alice, text=TEXT) is None
    services.article_create(user=alice, title="Again", text=TEXT)


def test_another_text_is_no_duplicate(alice, original):
    assert services.article_duplicate_of(user=alice, text=TEXT + " Fin.") is None


# The upload page


def test_the_form_warns_with_a_link_and_stores_nothing(client, bob, original):
    client.force_login(bob)
    response = client.post(NEW, form())
    assert response.status_code == 200
    body = response.content.decode()
    assert "This text is already stored." in body
    assert f'href="/articles/{original.pk}/"' in body
    assert "uploaded by alice" in body
    assert 'name="action" value="save_duplicate"' in body
    assert Article.objects.count() == 1


def test_the_form_saves_a_second_copy_when_confirmed(client, bob, original):
    client.force_login(bob)
    response = client.post(NEW, form(action="save_duplicate"))
    copy = Article.objects.exclude(pk=original.pk).get()
    assert response["Location"] == f"/articles/{copy.pk}/"
    assert copy.text == original.text


def test_the_htmx_form_warns_then_saves(client, bob, original):
    client.force_login(bob)
    htmx = {"HX-Request": "true"}
    warned = client.post(NEW, form(), headers=htmx)
    body = warned.content.decode()
    assert body.lstrip().startswith('<form id="upload-form"')
    assert "This text is already stored." in body
    saved = client.post(NEW, form(action="save_duplicate"), headers=htmx)
    copy = Article.objects.exclude(pk=original.pk).get()
    assert saved["HX-Redirect"] == f"/articles/{copy.pk}/"


def test_the_form_keeps_the_text_of_a_duplicate_file(client, bob, original):
    client.force_login(bob)
    upload = SimpleUploadedFile("budget.txt", TEXT.encode())
    response = client.post(NEW, form(text="", file=upload, title=""))
    assert "This text is already stored." in response.content.decode()
    # The file is not sent again: its text is in the box, ready to confirm.
    assert response.context["form"].initial["text"] == TEXT
    assert response.context["form"].initial["title"] == "budget"


def test_the_preview_warns_before_saving(client, bob, original):
    client.force_login(bob)
    response = client.post(NEW, form(action="preview"))
    # The same rule: services.article_duplicates.
    assert response.context["preview"]["same_text"] == [original]
    assert "This text is already stored:" in response.content.decode()


# The API


def test_the_api_answers_409_with_the_existing_id(as_user, bob, original):
    response = as_user(bob).post(API, {"title": "Copie", "text": TEXT}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["existing_id"]) == ("duplicate", original.pk)
    assert "allow_duplicate=true" in error["message"]
    assert Article.objects.count() == 1


@pytest.mark.parametrize(
    ("query", "body"),
    [("?allow_duplicate=true", {}), ("", {"allow_duplicate": True})],
    ids=["query", "body"],
)
def test_the_api_stores_a_meant_copy(as_user, bob, original, query, body):
    response = as_user(bob).post(
        API + query, {"title": "Copie", "text": TEXT, **body}, format="json"
    )
    assert response.status_code == 201
    assert "allow_duplicate" not in response.json()
    assert Article.objects.count() == 2


def test_the_api_answers_409_for_an_uploaded_file(as_user, bob, original):
    client = as_user(bob)
    upload = SimpleUploadedFile("budget.txt", TEXT.encode())
    response = client.post(API, {"file": upload}, format="multipart")
    assert response.status_code == 409
    assert response.json()["error"]["existing_id"] == original.pk
    upload = SimpleUploadedFile("budget.txt", TEXT.encode())
    response = client.post(
        API, {"file": upload, "allow_duplicate": "true"}, format="multipart"
    )
    assert response.status_code == 201


def test_a_bulk_names_the_duplicate_item_and_stores_nothing(as_user, bob, original):
    items = [
        {"title": "Neuf", "text": "Un texte neuf."},
        {"title": "Copie", "text": TEXT},
    ]
    response = as_user(bob).post(API, items, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["1"]
    assert f"identical to article {original.pk}" in error["fields"]["1"]["text"][0]
    assert Article.objects.count() == 1
    response = as_user(bob).post(API + "?allow_duplicate=1", items, format="json")
    assert response.status_code == 201


def test_a_bulk_may_not_repeat_itself(as_user, bob):
    items = [
        {"title": "Un", "text": "Même texte."},
        {"title": "Deux", "text": "Même texte."},
    ]
    response = as_user(bob).post(API, items, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["1"]
    assert not Article.objects.exists()


def test_the_api_names_a_bad_flag(as_user, bob):
    response = as_user(bob).post(
        API + "?allow_duplicate=maybe", {"title": "T", "text": "X."}, format="json"
    )
    assert response.status_code == 400
    assert "allow_duplicate" in response.json()["error"]["fields"]


def test_the_cleaning_preview_asks_to_confirm_then_saves(client, alice, bob):
    from .test_views_article_new import SAMPLE, choices, preview

    client.force_login(alice)
    data = choices(preview(client, title="", byline="", text=SAMPLE))
    client.post(NEW, data)
    stored = Article.objects.get()
    client.force_login(bob)
    data = choices(preview(client, title="", byline="", text=SAMPLE))
    refused = client.post(NEW, data)
    body = refused.content.decode()
    assert "This text is already stored." in body
    assert f'href="/articles/{stored.pk}/"' in body
    # The paragraphs stay as chosen, ready to confirm.
    assert refused.context["preview"]["text"] == stored.text
    assert Article.objects.count() == 1
    client.post(NEW, {**data, "action": "save_duplicate"})
    assert Article.objects.count() == 2
