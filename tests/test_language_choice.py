"""Which language a page speaks: saved preference, Accept-Language, LANGUAGE_CODE;
the header's switch and the account page that save the preference.
"""

import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from annotations.models import Profile

from .test_settings import ROOT

pytestmark = pytest.mark.django_db

HOME = reverse("annotations:article_list")
ACCOUNT = reverse("annotations:account")
SWITCH = reverse("annotations:set_language")


def html_lang(response) -> str:
    content = response.content.decode()
    return content.split('<html lang="', 1)[1].split('"', 1)[0]


def test_it_follows_accept_language(client, alice):
    client.force_login(alice)
    response = client.get(HOME, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert html_lang(response) == "fr"
    assert response["Content-Language"] == "fr"
    assert "Importer un article" in response.content.decode()
    response = client.get(HOME, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_lang(response) == "en"
    assert "Upload an article" in response.content.decode()


def test_it_falls_back_to_language_code(client, alice, settings):
    client.force_login(alice)
    settings.LANGUAGE_CODE = "fr"
    # A language the site does not speak, then none at all.
    assert html_lang(client.get(HOME, headers={"Accept-Language": "de"})) == "fr"
    assert html_lang(client.get(HOME)) == "fr"
    settings.LANGUAGE_CODE = "en"
    assert html_lang(client.get(HOME)) == "en"


def test_a_saved_preference_wins_over_the_browser(client, alice):
    Profile.objects.create(user=alice, language="fr")
    client.force_login(alice)
    response = client.get(HOME, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_lang(response) == "fr"
    assert response["Content-Language"] == "fr"


def test_a_saved_preference_costs_no_query(client, alice, django_assert_num_queries):
    client.force_login(alice)
    Profile.objects.create(user=alice, language="fr")
    with django_assert_num_queries(3):
        # The session, the user joined to their profile, the roles listed.
        response = client.get(ACCOUNT)
    assert html_lang(response) == "fr"


def test_the_login_page_follows_the_browser(client):
    response = client.get(reverse("login"), headers={"Accept-Language": "fr"})
    assert html_lang(response) == "fr"
    assert "Se connecter" in response.content.decode()


def test_the_switch_saves_the_choice_of_a_logged_in_user(client, alice):
    client.force_login(alice)
    response = client.post(
        SWITCH,
        {"language": "fr", "next": "/review/"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/review/"
    assert Profile.objects.get(user=alice).language == "fr"
    assert response.cookies["django_language"].value == "fr"
    # Another browser of the same person, asking for English, gets French.
    other = client.__class__()
    other.force_login(alice)
    assert html_lang(other.get(HOME, headers={"Accept-Language": "en"})) == "fr"


def test_the_switch_works_before_logging_in(client):
    response = client.post(SWITCH, {"language": "fr", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fr"
    assert html_lang(client.get("/accounts/login/")) == "fr"
    assert not Profile.objects.exists()


def test_the_switch_refuses_an_unknown_language(client, alice):
    client.force_login(alice)
    client.post(SWITCH, {"language": "xx", "next": "/"})
    assert not Profile.objects.exists()


def test_the_switch_is_in_every_page_header(client, alice):
    client.force_login(alice)
    content = client.get(HOME, headers={"Accept-Language": "fr"}).content.decode()
    assert f'action="{SWITCH}"' in content
    assert 'value="en" lang="en"' in content
    assert 'value="fr" lang="fr" class="link" aria-current="true" disabled' in content


def test_the_switch_refuses_get(client, alice):
    client.force_login(alice)
    assert client.get(SWITCH).status_code == 405


def test_the_account_page_requires_login(client):
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "ada", "nemo"])
def test_every_user_may_choose_a_language(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(ACCOUNT).status_code == 200
    response = client.post(ACCOUNT, {"language": "fr"})
    assertRedirects(response, ACCOUNT, fetch_redirect_response=False)
    assert Profile.objects.get(user=user).language == "fr"
    page = client.get(ACCOUNT, headers={"Accept-Language": "en"})
    assert html_lang(page) == "fr"
    # The confirmation is said in the language just chosen.
    assert "Vos préférences sont enregistrées." in page.content.decode()


def test_the_account_page_shows_the_saved_choice_and_roles(client, rita):
    Profile.objects.create(user=rita, language="en")
    client.force_login(rita)
    content = client.get(ACCOUNT).content.decode()
    checked = re.findall(r'<input type="radio"[^>]*checked[^>]*>', content)
    assert len(checked) == 1 and 'value="en"' in checked[0]
    assert "Reviewer" in content


def test_following_the_browser_again_drops_the_cookie(client, alice):
    client.force_login(alice)
    client.post(SWITCH, {"language": "fr", "next": "/"})
    response = client.post(ACCOUNT, {"language": ""})
    assert Profile.objects.get(user=alice).language == ""
    assert response.cookies["django_language"].value == ""
    page = client.get(HOME, headers={"Accept-Language": "en"})
    assert html_lang(page) == "en"


def test_the_account_page_refuses_an_unknown_language(client, alice):
    client.force_login(alice)
    response = client.post(ACCOUNT, {"language": "xx"})
    assert response.status_code == 200
    assert "xx" in response.content.decode()
    assert not Profile.objects.exists()


def test_the_account_page_refuses_other_methods(client, alice):
    client.force_login(alice)
    assert client.put(ACCOUNT).status_code == 405


def test_the_header_links_to_the_account_page(client, alice):
    client.force_login(alice)
    assert f'href="{ACCOUNT}"' in client.get(HOME).content.decode()


def test_the_api_ignores_the_saved_preference(as_user, alice):
    Profile.objects.create(user=alice, language="fr")
    response = as_user(alice).get(
        "/api/v1/articles/999999/", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 404
    assert response["Content-Language"] == "en"


def _settings_value(name, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"LANGUAGE_CODE"}}
    clean.update(env, DEBUG="1")
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            f"from django.conf import settings; print(settings.{name})",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_language_code_defaults_to_french():
    result = _settings_value("LANGUAGE_CODE")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "fr"
    result = _settings_value("LANGUAGE_CODE", LANGUAGE_CODE="en")
    assert result.stdout.strip().splitlines()[-1] == "en"


def test_an_unknown_language_code_is_refused():
    result = _settings_value("LANGUAGE_CODE", LANGUAGE_CODE="de")
    assert result.returncode != 0
    assert "LANGUAGE_CODE must be one of en, fr; got 'de'" in result.stderr
