"""The list of keys at /keys/ (and in the "?" window), the same as the README's."""

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("annotations:keys")
README = Path(__file__).parent.parent / "README.md"


def plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "ada", "nemo"])
def test_it_shows_every_key_to_everyone(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    content = client.get(URL).content.decode()
    for key in ("Ctrl</kbd>+<kbd>Z", "Alt</kbd>+<kbd>Shift", "<kbd>?</kbd>"):
        assert key in content


def test_it_returns_the_list_alone_for_the_window(client, alice):
    client.force_login(alice)
    response = client.get(URL, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<div class="keys-list">')
    assert "<html" not in content


def test_it_rejects_post(client, alice):
    client.force_login(alice)
    assert client.post(URL).status_code == 405


def test_it_lists_the_same_keys_as_the_readme(client, alice):
    client.force_login(alice)
    content = client.get(URL).content.decode()
    on_page = [plain(dt) for dt in re.findall(r"<dt>(.*?)</dt>", content)]
    section = README.read_text("utf-8").split("## Keys", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][2:]
    in_readme = [plain(row.split("|")[1].replace("`", "")) for row in rows]
    assert on_page == in_readme


def test_it_opens_from_every_page(client, alice):
    client.force_login(alice)
    content = client.get(reverse("annotations:article_list")).content.decode()
    assert f'data-url="{URL}"' in content
    assert 'id="keys-help"' in content
