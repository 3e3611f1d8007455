"""The role matrix of DESIGN.md section 5, answered by annotations.permissions."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from annotations import permissions, services
from annotations.models import Span

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["alice", "rita", "carl", "ada", "nemo", "anonymous"]

# persona -> expected answer, for actions that need no object.
GENERAL = {
    "read_article": {
        "alice": 1,
        "rita": 1,
        "carl": 1,
        "ada": 1,
        "nemo": 0,
        "anonymous": 0,
    },
    "add_article": {
        "alice": 1,
        "rita": 0,
        "carl": 0,
        "ada": 1,
        "nemo": 0,
        "anonymous": 0,
    },
    "add_span": {"alice": 1, "rita": 0, "carl": 0, "ada": 1, "nemo": 0, "anonymous": 0},
    "export": {"alice": 1, "rita": 1, "carl": 1, "ada": 1, "nemo": 0, "anonymous": 0},
    "use_api_tokens": {
        "alice": 1,
        "rita": 1,
        "carl": 1,
        "ada": 1,
        "nemo": 0,
        "anonymous": 0,
    },
    "manage": {"alice": 0, "rita": 0, "carl": 0, "ada": 1, "nemo": 0, "anonymous": 0},
    "read_undecided": {
        "alice": 1,
        "rita": 1,
        "carl": 0,
        "ada": 1,
        "nemo": 0,
        "anonymous": 0,
    },
    "view_stats": {
        "alice": 1,
        "rita": 1,
        "carl": 0,
        "ada": 1,
        "nemo": 0,
        "anonymous": 0,
    },
}


@pytest.fixture
def people(alice, rita, carl, ada, nemo):
    return {
        "alice": alice,
        "rita": rita,
        "carl": carl,
        "ada": ada,
        "nemo": nemo,
        "anonymous": AnonymousUser(),
    }


@pytest.mark.parametrize("action", sorted(GENERAL))
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_answers_the_general_matrix(people, action, persona):
    assert permissions.can(people[persona], action) is bool(GENERAL[action][persona])


@pytest.fixture
def bobs_span(bob, labels):
    article = ArticleFactory(uploaded_by=bob)
    return SpanFactory(article=article, created_by=bob, label=labels["quote"])


@pytest.fixture
def alices_span(alice, labels):
    article = ArticleFactory(uploaded_by=alice)
    return SpanFactory(article=article, created_by=alice, label=labels["quote"])


@pytest.mark.parametrize(
    ("persona", "own", "other"),
    [
        ("alice", True, False),
        ("rita", False, False),
        ("carl", False, False),
        ("ada", True, True),
        ("nemo", False, False),
        ("anonymous", False, False),
    ],
)
def test_it_lets_only_authors_and_admins_change_spans(
    people, alices_span, bobs_span, persona, own, other
):
    user = people[persona]
    assert permissions.can(user, "change_span", alices_span) is own
    assert permissions.can(user, "change_span", bobs_span) is other


def test_it_lets_an_author_edit_but_not_delete_their_approved_span(
    alice, ada, alices_span
):
    assert permissions.can(alice, "delete_span", alices_span) is True
    alices_span.status = Span.Status.APPROVED
    assert permissions.can(alice, "change_span", alices_span) is True
    assert permissions.can(alice, "delete_span", alices_span) is False
    assert "only an admin" in permissions.explain(alice, "delete_span", alices_span)
    assert permissions.can(ada, "delete_span", alices_span) is True


def test_it_lets_an_author_delete_their_rejected_span(alice, alices_span):
    alices_span.status = Span.Status.REJECTED
    assert permissions.can(alice, "delete_span", alices_span) is True


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", False),
        ("rita", True),
        ("carl", False),
        ("ada", True),
        ("nemo", False),
        ("anonymous", False),
    ],
)
def test_it_lets_reviewers_and_admins_decide(people, bobs_span, persona, expected):
    assert permissions.can(people[persona], "review_span", bobs_span) is expected


def test_it_applies_four_eyes_to_a_reviewer_who_authored_the_span(
    rita, labels, settings
):
    article = ArticleFactory(uploaded_by=rita)
    span = SpanFactory(article=article, created_by=rita, label=labels["quote"])
    assert permissions.can(rita, "review_span", span) is False
    assert "another reviewer" in permissions.explain(rita, "review_span", span)
    settings.ALLOW_SELF_REVIEW = True
    assert permissions.can(rita, "review_span", span) is True


@pytest.mark.parametrize(
    ("persona", "own", "other"),
    [
        ("alice", True, False),
        ("rita", False, False),
        ("carl", False, False),
        ("ada", True, True),
        ("nemo", False, False),
        ("anonymous", False, False),
    ],
)
def test_it_lets_uploaders_and_admins_delete_articles(
    people, alice, bob, persona, own, other
):
    mine = ArticleFactory(uploaded_by=alice)
    theirs = ArticleFactory(uploaded_by=bob)
    assert permissions.can(people[persona], "delete_article", mine) is own
    assert permissions.can(people[persona], "delete_article", theirs) is other


@pytest.mark.parametrize(
    ("persona", "statuses"),
    [
        ("alice", {"pending", "approved", "rejected"}),
        ("rita", {"pending", "approved", "rejected"}),
        ("carl", {"approved"}),
        ("ada", {"pending", "approved", "rejected"}),
        ("nemo", set()),
        ("anonymous", set()),
    ],
)
def test_it_shows_consumers_approved_spans_only(
    people, alice, labels, persona, statuses
):
    article = ArticleFactory(uploaded_by=alice, text="un deux trois")
    for start, end, status, reason in [
        (0, 2, "pending", ""),
        (3, 7, "approved", ""),
        (8, 13, "rejected", "x"),
    ]:
        SpanFactory(
            article=article,
            start=start,
            end=end,
            status=status,
            rejection_reason=reason,
            label=labels["claim"],
        )
    user = people[persona]
    visible = Span.objects.visible_to(user)
    assert set(visible.values_list("status", flat=True)) == statuses
    for span in Span.objects.all():
        assert permissions.can(user, "read_span", span) is (span.status in statuses)


def test_it_hides_deleted_articles_and_their_spans(alice, rita, labels):
    article = ArticleFactory(uploaded_by=alice, is_deleted=True)
    SpanFactory(article=article, label=labels["quote"])
    assert not Span.objects.visible_to(rita).exists()
    assert permissions.can(rita, "read_article", article) is False


def test_it_gives_several_roles_the_union_of_their_rights(carl, labels):
    from django.contrib.auth.models import Group

    carl.groups.add(Group.objects.get(name="editor"))
    carl = type(carl).objects.get(pk=carl.pk)
    assert permissions.can(carl, "add_span") is True
    assert permissions.can(carl, "export") is True


def test_it_enforces_the_matrix_in_the_services(rita, carl, alice, labels):
    article = ArticleFactory(uploaded_by=alice)
    with pytest.raises(PermissionDenied):
        services.article_create(user=carl, title="x", text="y")
    with pytest.raises(PermissionDenied):
        services.span_create(
            user=rita, article=article, label=labels["quote"], start=0, end=3
        )
    span = SpanFactory(article=article, created_by=alice, label=labels["quote"])
    with pytest.raises(PermissionDenied):
        services.span_approve(span=span, user=alice, version=span.version)
    with pytest.raises(PermissionDenied):
        services.span_update(span=span, user=rita, start=0, end=3)


def test_it_refuses_inactive_users(alice):
    alice.is_active = False
    alice._newsroom_roles = None
    assert permissions.can(alice, "read_article") is False


def test_it_imports_no_model_module_so_models_can_import_it():
    import ast
    from pathlib import Path

    source = Path(permissions.__file__).read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.level == 1
    }
    assert imported == {"choices"}
