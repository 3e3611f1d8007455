import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotations import services
from annotations.models import Span

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

TEXT = "Le Président 🚀 Zoe\u0301 a dit « oui ». 👩‍💻 Fin."


@pytest.fixture
def story(alice):
    return services.article_create(user=alice, title="Story", text=TEXT)


def create(user, article, label, start, end, **kwargs):
    return services.span_create(
        user=user, article=article, label=label, start=start, end=end, **kwargs
    )


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_it_counts_offsets_in_code_points_after_an_emoji(alice, labels, story):
    # The stored text is NFC: "Zoé" is three code points, the rocket is one.
    start = story.text.index("Zoé")
    assert start == 15
    span = create(alice, story, labels["entity"], start, start + 3, text="Zoé")
    assert span.text == "Zoé"
    assert story.text[span.start : span.end] == "Zoé"


def test_it_counts_offsets_after_a_combining_sequence_and_zwj(alice, labels, story):
    start = story.text.index("Fin")
    assert story.text[start - 4 : start - 1] == "👩\u200d💻"
    span = create(alice, story, labels["claim"], start, start + 3)
    assert span.text == "Fin"


def test_it_stores_the_text_from_the_article_when_none_is_sent(alice, labels, story):
    start = story.text.index("« oui »")
    span = create(alice, story, labels["quote"], start, start + 7)
    span.refresh_from_db()
    assert span.text == "« oui »"
    assert span.status == Span.Status.PENDING
    assert span.version == 1


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (0, 999, "end", "past the end of the article text"),
        (5, 5, "end", "cannot be empty or reversed"),
        (9, 3, "end", "cannot be empty or reversed"),
        (2, 12, "start", "starts or ends with whitespace"),
    ],
)
def test_it_refuses_bad_offsets_naming_the_problem(
    alice, labels, story, start, end, field, words
):
    with pytest.raises(ValidationError) as excinfo:
        create(alice, story, labels["quote"], start, end)
    assert words in errors_of(excinfo)[field][0]
    assert not Span.objects.exists()


def test_it_refuses_negative_offsets(alice, labels, story):
    with pytest.raises(ValidationError) as excinfo:
        create(alice, story, labels["quote"], -1, 4)
    assert "start" in errors_of(excinfo)


def test_it_refuses_a_text_mismatch_naming_both_strings(alice, labels, story):
    with pytest.raises(ValidationError) as excinfo:
        create(alice, story, labels["entity"], 3, 12, text="President")
    message = errors_of(excinfo)["text"][0]
    assert "'President'" in message
    assert "'Président'" in message


def test_it_refuses_an_exact_duplicate(alice, bob, labels, story):
    create(alice, story, labels["entity"], 3, 12)
    with pytest.raises(ValidationError) as excinfo:
        create(bob, story, labels["entity"], 3, 12)
    assert "already has a span with this label" in excinfo.value.messages[0]
    assert Span.objects.count() == 1


def test_it_allows_overlap_with_another_label(alice, labels, story):
    create(alice, story, labels["entity"], 3, 12)
    create(alice, story, labels["quote"], 0, 12)
    assert Span.objects.count() == 2


def test_it_holds_the_duplicate_rule_in_the_database(alice, labels, story):
    span = create(alice, story, labels["entity"], 3, 12)
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.create(
            article=story,
            label=span.label,
            start=3,
            end=12,
            text=span.text,
            created_by=alice,
        )


def test_it_holds_start_before_end_in_the_database(alice, labels, story):
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.create(
            article=story,
            label=labels["quote"],
            start=5,
            end=5,
            text="",
            created_by=alice,
        )


def test_it_accepts_an_entity_of_the_same_article_as_source(alice, labels, story):
    who = create(alice, story, labels["entity"], 3, 12, entity_type="PER")
    quote_start = story.text.index("« oui »")
    quote = create(
        alice, story, labels["quote"], quote_start, quote_start + 7, source=who
    )
    assert quote.source == who
    assert who.entity_type == "PER"


def test_it_refuses_a_source_that_is_not_an_entity(alice, labels, story):
    claim = create(alice, story, labels["claim"], 3, 12)
    quote_start = story.text.index("« oui »")
    with pytest.raises(ValidationError) as excinfo:
        create(
            alice, story, labels["quote"], quote_start, quote_start + 7, source=claim
        )
    assert "must be an entity span" in errors_of(excinfo)["source"][0]


def test_it_refuses_a_source_from_another_article(alice, labels, story):
    other = ArticleFactory(uploaded_by=alice, text="Ailleurs, Marie parle.")
    marie = create(alice, other, labels["entity"], 10, 15)
    with pytest.raises(ValidationError) as excinfo:
        create(alice, story, labels["quote"], 0, 12, source=marie)
    assert "belongs to another article" in errors_of(excinfo)["source"][0]


def test_it_refuses_a_source_on_an_entity(alice, labels, story):
    who = create(alice, story, labels["entity"], 3, 12)
    with pytest.raises(ValidationError) as excinfo:
        create(alice, story, labels["entity"], 0, 12, source=who)
    assert "entity span cannot have a source" in errors_of(excinfo)["source"][0]


def test_it_refuses_an_entity_type_on_a_non_entity(alice, labels, story):
    with pytest.raises(ValidationError) as excinfo:
        create(alice, story, labels["quote"], 0, 12, entity_type="PER")
    assert (
        "Only entity spans have an entity type" in errors_of(excinfo)["entity_type"][0]
    )


def test_it_refuses_an_unknown_entity_type(alice, labels, story):
    with pytest.raises(ValidationError) as excinfo:
        create(alice, story, labels["entity"], 3, 12, entity_type="ANIMAL")
    assert "entity_type" in errors_of(excinfo)


def test_it_refuses_to_delete_an_entity_that_is_a_source(alice, labels, story):
    who = create(alice, story, labels["entity"], 3, 12)
    create(alice, story, labels["quote"], 0, 12, source=who)
    with pytest.raises(ValidationError) as excinfo:
        services.span_delete(span=who, user=alice)
    assert "source of 1 other spans" in excinfo.value.messages[0]
    assert Span.objects.filter(pk=who.pk).exists()


def test_it_refuses_to_relabel_an_entity_that_is_a_source(alice, labels, story):
    who = create(alice, story, labels["entity"], 3, 12)
    create(alice, story, labels["quote"], 0, 12, source=who)
    with pytest.raises(ValidationError) as excinfo:
        services.span_update(span=who, user=alice, label=labels["claim"])
    assert "must stay an entity" in errors_of(excinfo)["label"][0]


def test_it_clears_the_entity_type_when_relabelled(alice, labels, story):
    who = create(alice, story, labels["entity"], 3, 12, entity_type="PER")
    span = services.span_update(span=who, user=alice, label=labels["claim"])
    span.refresh_from_db()
    assert span.label.slug == "claim"
    assert span.entity_type is None


def test_it_recomputes_the_text_when_offsets_change(alice, labels, story):
    span = create(alice, story, labels["entity"], 3, 12)
    span = services.span_update(span=span, user=alice, start=0, end=12)
    span.refresh_from_db()
    assert span.text == "Le Président"
    assert span.version == 2
