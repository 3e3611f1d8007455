"""Label names and descriptions in the reader's language; slugs never change."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from annotations import services
from annotations.models import Label

pytestmark = pytest.mark.django_db

FR = {"Accept-Language": "fr"}
FRENCH_NAMES = {
    "quote": "Citation",
    "claim": "Affirmation",
    "entity": "Entité",
    "opinion": "Opinion",
}
_names = importlib.import_module("annotations.migrations.0006_label_names_per_language")


def test_the_seeded_labels_have_french_names(labels):
    with translation.override("fr"):
        assert {s: label.name for s, label in labels.items()} == FRENCH_NAMES
        assert labels["claim"].description == "Énoncé factuel que l’on peut vérifier."
    with translation.override("en"):
        assert labels["claim"].name == "Claim"
        assert labels["claim"].description == "A checkable statement of fact."


def test_the_data_migration_keeps_admins_labels_and_can_run_twice(seeded):
    Label.objects.create(
        name_en="Fact check", slug="fact-check", colour="#123456", shortcut="f"
    )
    _names.name_in_each_language(apps, None)
    _names.name_in_each_language(apps, None)
    added = Label.objects.get(slug="fact-check")
    assert added.name_en == "Fact check" and added.name_fr is None
    with translation.override("fr"):
        # Without a French name, the English one shows.
        assert Label.objects.get(slug="fact-check").name == "Fact check"
        assert Label.objects.get(slug="quote").name == "Citation"


def test_the_annotate_page_names_labels_in_french(client, alice, article):
    client.force_login(alice)
    content = client.get(
        reverse("annotations:article_detail", args=[article.pk]), headers=FR
    ).content.decode()
    for slug, name in FRENCH_NAMES.items():
        assert f'data-label-slug="{slug}">{name}</span>' in content
    assert 'title="Propos attribués à une personne ou à une organisation."' in content
    assert ">Quote<" not in content


def test_a_new_span_message_names_the_label_in_french(client, alice, article):
    client.force_login(alice)
    response = client.post(
        reverse("annotations:span_create", args=[article.pk]),
        {"label": "claim", "start": 0, "end": 5},
        headers={**FR, "HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "annoté comme Affirmation." in response.content.decode()


def test_the_review_queue_and_filters_name_labels_in_french(
    client, alice, rita, article, labels
):
    services.span_create(
        user=alice, article=article, label=labels["quote"], start=0, end=5
    )
    client.force_login(rita)
    content = client.get(reverse("annotations:review_queue"), headers=FR)
    content = content.content.decode()
    assert 'data-label-slug="quote">Citation</span>' in content
    assert '<option value="quote">Citation</option>' in content


def test_the_export_form_names_labels_in_french(client, alice):
    client.force_login(alice)
    content = client.get(reverse("annotations:export"), headers=FR).content.decode()
    assert 'value="entity"' in content and "Entité" in content


def test_an_admin_adds_a_label_with_a_name_per_language(client, ada, seeded):
    client.force_login(ada)
    response = client.post(
        "/admin/annotations/label/add/",
        {
            "name_en": "Fact check",
            "name_fr": "Vérification",
            "description_en": "A verified statement.",
            "description_fr": "Une affirmation vérifiée.",
            "slug": "fact-check",
            "colour": "#123456",
            "shortcut": "f",
            "order": 50,
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    label = Label.objects.get(slug="fact-check")
    assert (label.name_en, label.name_fr) == ("Fact check", "Vérification")
    with translation.override("fr"):
        assert Label.objects.get(slug="fact-check").name == "Vérification"
    with translation.override("en"):
        assert Label.objects.get(slug="fact-check").name == "Fact check"


def test_the_admin_form_has_a_field_per_language(client, ada, labels):
    client.force_login(ada)
    content = client.get(
        f"/admin/annotations/label/{labels['quote'].pk}/change/"
    ).content.decode()
    for field in ("name_en", "name_fr", "description_en", "description_fr"):
        assert f'name="{field}"' in content
    assert 'value="Citation"' in content


def test_the_api_names_labels_in_the_requests_language(as_user, alice):
    client = as_user(alice)
    french = client.get("/api/v1/labels/", headers=FR).json()
    english = client.get("/api/v1/labels/", headers={"Accept-Language": "en"}).json()
    assert [label["slug"] for label in french] == [lb["slug"] for lb in english]
    assert [label["name"] for label in french] == list(FRENCH_NAMES.values())
    assert [label["name"] for label in english] == [
        "Quote",
        "Claim",
        "Entity",
        "Opinion",
    ]
    assert french[0]["name_en"] == "Quote" and french[0]["name_fr"] == "Citation"


def test_the_api_lets_admins_name_a_label_in_both_languages(as_user, ada, seeded):
    body = {
        "name_en": "Fact check",
        "name_fr": "Vérification",
        "slug": "fact-check",
        "colour": "#123456",
        "shortcut": "f",
    }
    response = as_user(ada).post("/api/v1/labels/", body, format="json", headers=FR)
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Vérification"
    label = Label.objects.get(slug="fact-check")
    assert (label.name_en, label.name_fr) == ("Fact check", "Vérification")


def test_spans_in_the_api_keep_their_slug(as_user, alice, article, labels):
    services.span_create(
        user=alice, article=article, label=labels["entity"], start=0, end=5
    )
    response = as_user(alice).get("/api/v1/spans/", headers=FR)
    assert response.json()["results"][0]["label"] == "entity"


def test_the_api_refuses_a_label_without_any_name(as_user, ada, seeded):
    body = {"slug": "nameless", "colour": "#123456"}
    response = as_user(ada).post("/api/v1/labels/", body, format="json", headers=FR)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "Donnez un nom à l’étiquette" in response.json()["error"]["message"]
