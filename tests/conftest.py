import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.utils import translation

from annotations.models import Label

from .factories import ArticleFactory, UserFactory

_seed = importlib.import_module("annotations.migrations.0002_seed_labels_and_roles")
_names = importlib.import_module("annotations.migrations.0006_label_names_per_language")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher costs ~0.3 s per user; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def language_of_the_settings():
    # A request activates its language for the whole thread; the next test
    # must start from LANGUAGE_CODE (English here) again.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(settings, tmp_path):
    # Dataset snapshots are files; tests must not leave them in the project.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seeded(db):
    """The labels and groups the data migration creates.

    Transactional tests flush the tables, so later ones need them put back.
    """
    _seed.seed(apps, None)
    _names.name_in_each_language(apps, None)


def _user(username, *roles, admin=False):
    user = UserFactory(username=username, is_staff=admin, is_superuser=admin)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


@pytest.fixture
def alice(seeded):
    """An editor: the author in most tests."""
    return _user("alice", "editor")


@pytest.fixture
def bob(seeded):
    """Another editor."""
    return _user("bob", "editor")


@pytest.fixture
def rita(seeded):
    """A reviewer."""
    return _user("rita", "reviewer")


@pytest.fixture
def carl(seeded):
    """A data consumer."""
    return _user("carl", "consumer")


@pytest.fixture
def ada(seeded):
    """An admin (staff and superuser)."""
    return _user("ada", admin=True)


@pytest.fixture
def nemo(seeded):
    """A logged-in user without any role."""
    return _user("nemo")


@pytest.fixture
def labels(seeded):
    return {label.slug: label for label in Label.objects.all()}


@pytest.fixture
def article(alice):
    return ArticleFactory(uploaded_by=alice)


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def as_user(api):
    """Return an API client logged in as the given user (force_authenticate)."""

    def login(user):
        api.force_authenticate(user)
        return api

    return login
