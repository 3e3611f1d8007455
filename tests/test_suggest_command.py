"""manage.py suggest [--article ID …] [--all]: the real engine, one process."""

import io

import pytest
from django.core.management import CommandError, call_command

from annotations import services
from annotations.models import Article, AuditEvent, Span

from .factories import ArticleFactory
from .suggestion_data import TEXT

pytestmark = pytest.mark.django_db

ENGLISH = (
    '"We will double the bike lanes," said Mayor Claire Fontaine on Tuesday.\n\n'
    "The budget rose by 8% in a year."
)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("suggest", *args, "--processes", "1", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def articles(alice, ada):
    return [
        ArticleFactory(uploaded_by=alice, text=TEXT),
        ArticleFactory(uploaded_by=alice, text=ENGLISH, language="en"),
        ArticleFactory(uploaded_by=alice, text=TEXT + "\n\nFin.", language="fr-CA"),
    ]


def test_it_suggests_for_every_article(articles, ada):
    out, _err = run("--all")
    assert "Suggesting as ada." in out
    for article in articles:
        suggested = article.spans.filter(status=Span.Status.SUGGESTED)
        assert suggested.exists(), article.language
        assert set(suggested.values_list("created_by__username", flat=True)) == {"ada"}
    english = articles[1].spans.get(label__slug="quote")
    assert english.text == "We will double the bike lanes"
    assert english.source.text == "Claire Fontaine"
    total = Span.objects.count()
    assert f"3 articles: {total} suggestions ({total} new" in out


def test_running_it_again_adds_nothing(articles, ada):
    run("--all")
    ids = set(Span.objects.values_list("pk", flat=True))
    out, _err = run("--all")
    assert set(Span.objects.values_list("pk", flat=True)) == ids
    assert "(0 new, 0 updated, 0 removed" in out
    assert AuditEvent.objects.filter(action="suggest").count() == 3


def test_it_suggests_for_the_articles_named(articles, ada):
    run("--article", str(articles[0].pk), "--article", str(articles[2].pk))
    assert articles[0].spans.exists()
    assert not articles[1].spans.exists()
    assert articles[2].spans.exists()


def test_it_leaves_spans_people_made_and_accepted(articles, ada, alice):
    run("--article", str(articles[0].pk))
    quote = articles[0].spans.get(label__slug="quote", start=2)
    services.span_accept(span=quote, user=alice)
    run("--article", str(articles[0].pk))
    assert articles[0].spans.filter(start=2, label__slug="quote").count() == 1
    assert Span.objects.get(pk=quote.pk).status == "pending"


def test_it_runs_as_the_user_named(articles, alice):
    run("--article", str(articles[0].pk), "--user", "alice")
    assert set(articles[0].spans.values_list("created_by__username", flat=True)) == {
        "alice"
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--article ID … or --all"),
        (("--all", "--article", "1"), "--article ID … or --all"),
        (("--article", "999999"), "No such article (or deleted): 999999"),
        (("--all", "--user", "nobody"), "No user named 'nobody'"),
        (("--all", "--user", "rita"), "rita: Only editors and admins"),
        (("--all", "--processes", "0"), "--processes must be 1 or more"),
    ],
)
def test_it_explains_what_is_wrong(articles, ada, rita, args, message):
    with pytest.raises(
        CommandError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        call_command("suggest", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_it_skips_deleted_articles(articles, ada):
    services.article_delete(article=articles[0], user=articles[0].uploaded_by)
    with pytest.raises(CommandError, match="deleted"):
        run("--article", str(articles[0].pk))
    run("--all")
    assert not Article.objects.get(pk=articles[0].pk).spans.exists()


def test_it_shows_a_progress_bar_unless_quiet(articles, ada, capsys):
    call_command("suggest", "--all", "--processes", "1")
    err = capsys.readouterr().err
    assert "3/3" in err
    assert "article/s" in err or "s/article" in err
    call_command("suggest", "--all", "--processes", "1", "--verbosity", "0")
    captured = capsys.readouterr()
    assert "3/3" not in captured.err
    assert "3 articles: " in captured.out


@pytest.mark.django_db(transaction=True)
def test_it_suggests_in_worker_processes(articles, ada):
    out = io.StringIO()
    call_command(
        "suggest", "--all", "--processes", "2", stdout=out, stderr=io.StringIO()
    )
    total = Span.objects.count()
    assert total > 0
    assert f"3 articles: {total} suggestions ({total} new" in out.getvalue()
    english = articles[1].spans.get(label__slug="quote")
    assert english.source.text == "Claire Fontaine"
