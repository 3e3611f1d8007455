"""Storing, accepting and dismissing suggestions through the services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from annotations import services
from annotations.models import AuditEvent, Span

from .factories import SpanFactory
from .suggestion_data import TEXT, at, by_text, proposals, suggested_article

pytestmark = pytest.mark.django_db


# Storing


def test_it_stores_each_proposal_as_a_suggestion_with_origin_and_score(alice, labels):
    article, run = suggested_article(alice)
    assert run.created == 4
    spans = by_text(run)
    quote = spans["Nous doublerons les pistes cyclables"]
    quote.refresh_from_db()
    assert quote.status == Span.Status.SUGGESTED
    assert quote.origin == "rule:quote-verb-after"
    assert quote.score == pytest.approx(0.9)
    assert quote.created_by == alice
    # The speaker's index in the list became the stored entity's id.
    assert quote.source_id == spans["Claire Fontaine"].pk
    assert spans["Claire Fontaine"].origin == "model:fr_core_news_md@3.8.0"
    assert spans["Villebrune"].entity_type == "LOC"
    assert article.spans.count() == 4


def test_it_records_one_event_per_run_on_the_article(alice, labels):
    article, _run = suggested_article(alice)
    event = AuditEvent.objects.get(action=AuditEvent.Action.SUGGEST)
    assert (event.object_type, event.object_id) == ("article", article.pk)
    assert event.after == {"suggestions": 4, "created": 4, "updated": 0, "removed": 0}
    # Nothing changes on a second identical run, and nothing is recorded.
    services.suggestions_store(article=article, user=alice, found=proposals())
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SUGGEST).count() == 1


def test_running_again_keeps_untouched_suggestions_and_their_ids(alice, labels):
    article, first = suggested_article(alice)
    again = services.suggestions_store(
        article=article, user=alice, found=proposals(quote=0.6)
    )
    assert (again.created, again.updated, again.removed) == (0, 1, 0)
    assert {s.pk for s in again.suggestions} == {s.pk for s in first.suggestions}
    quote = by_text(again)["Nous doublerons les pistes cyclables"]
    quote.refresh_from_db()
    assert quote.score == pytest.approx(0.6)
    assert quote.version == 2


def test_running_again_replaces_suggestions_no_longer_proposed(alice, labels):
    article, first = suggested_article(alice)
    fewer = [p for p in proposals() if p.label != "claim"]
    run = services.suggestions_store(article=article, user=alice, found=fewer)
    assert (run.created, run.removed) == (0, 1)
    assert not article.spans.filter(label__slug="claim").exists()


def test_running_again_never_duplicates_a_span_in_any_status(alice, rita, labels):
    article, first = suggested_article(alice)
    spans = by_text(first)
    services.span_accept(span=spans["Nous doublerons les pistes cyclables"], user=alice)
    services.span_dismiss(span=spans["Villebrune"], user=alice)
    claim = Span.objects.get(
        pk=spans["Le budget de Villebrune a augmenté de 8 % en un an."].pk
    )
    services.span_accept(span=claim, user=alice)
    services.span_reject(span=claim, user=rita, version=2, reason="not checkable")
    run = services.suggestions_store(article=article, user=alice, found=proposals())
    assert run.created == 0
    assert run.existing == 4
    assert run.suggestions == []
    # Accepting the quote accepted its speaker; nothing is there twice.
    assert article.spans.count() == 4
    statuses = sorted(article.spans.values_list("status", flat=True))
    assert statuses == ["dismissed", "pending", "pending", "rejected"]


def test_a_speaker_that_exists_as_a_span_becomes_the_source(alice, labels):
    article, _run = suggested_article(alice, found=[])
    start = TEXT.index("Claire Fontaine")
    speaker = SpanFactory(
        article=article, label=labels["entity"], start=start, end=start + 15
    )
    run = services.suggestions_store(article=article, user=alice, found=proposals())
    quote = by_text(run)["Nous doublerons les pistes cyclables"]
    assert quote.source_id == speaker.pk
    assert "Claire Fontaine" not in by_text(run)


def test_a_dismissed_speaker_is_not_cited_again(alice, labels):
    article, first = suggested_article(alice)
    services.span_dismiss(span=by_text(first)["Claire Fontaine"], user=alice)
    run = services.suggestions_store(article=article, user=alice, found=proposals())
    assert by_text(run)["Nous doublerons les pistes cyclables"].source_id is None


def test_proposals_that_do_not_match_the_text_are_left_out(alice, labels):
    article, _run = suggested_article(alice, found=[])
    wrong = at("Villebrune", "entity")
    bad = [wrong.__class__(**{**wrong.__dict__, "text": "Lyon"})]
    run = services.suggestions_store(article=article, user=alice, found=bad)
    assert (run.created, run.invalid) == (0, 1)


@pytest.mark.parametrize(
    "fields", [{"origin": "guess"}, {"score": 1.5}, {"entity_type": "CITY"}]
)
def test_proposals_with_an_impossible_origin_score_or_type_are_left_out(
    alice, labels, fields
):
    article, _run = suggested_article(alice, found=[])
    bad = [at("Villebrune", "entity", **fields)]
    run = services.suggestions_store(article=article, user=alice, found=bad)
    assert (run.created, run.invalid) == (0, 1)
    assert not article.spans.exists()


def test_storing_refuses_a_text_that_changed_meanwhile(alice, labels):
    article, _run = suggested_article(alice, found=[])
    with pytest.raises(ValidationError, match="changed while suggestions"):
        services.suggestions_store(
            article=article, user=alice, found=proposals(), text_sha256="0" * 64
        )


@pytest.mark.parametrize("who", ["rita", "carl", "nemo"])
def test_only_editors_and_admins_ask_for_suggestions(request, alice, labels, who):
    article, _run = suggested_article(alice, found=[])
    with pytest.raises(PermissionDenied):
        services.suggestions_store(
            article=article, user=request.getfixturevalue(who), found=proposals()
        )


def test_the_gazetteer_is_the_approved_typed_entities(alice, rita, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    for text in ("Claire Fontaine", "Villebrune"):
        span = services.span_accept(span=spans[text], user=alice)
        services.span_approve(span=span, user=rita, version=span.version)
    services.span_accept(span=spans["Nous doublerons les pistes cyclables"], user=alice)
    assert sorted(services.suggestion_gazetteer()) == [
        ("Claire Fontaine", "PER"),
        ("Villebrune", "LOC"),
    ]


# Accepting


def test_accepting_makes_an_ordinary_pending_span_of_the_editor(alice, bob, labels):
    article, run = suggested_article(alice)
    claim = by_text(run)["Le budget de Villebrune a augmenté de 8 % en un an."]
    span = services.span_accept(span=claim, user=bob, version=1)
    span.refresh_from_db()
    assert span.status == Span.Status.PENDING
    assert span.created_by == bob
    assert span.origin == "rule:claim-cues"
    assert span.corrected is False
    assert span.version == 2
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCEPT)
    assert event.actor == bob
    assert event.before["status"] == "suggested"
    assert event.after["status"] == "pending"
    assert event.after["origin"] == "rule:claim-cues"


def test_accepting_a_quote_accepts_its_suggested_speaker(alice, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    services.span_accept(span=spans["Nous doublerons les pistes cyclables"], user=alice)
    speaker = Span.objects.get(pk=spans["Claire Fontaine"].pk)
    assert speaker.status == Span.Status.PENDING
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCEPT).count() == 2


def test_accepting_with_corrections_applies_them_and_counts_a_correction(alice, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    start = TEXT.index("Fontaine")
    span = services.span_accept(
        span=spans["Claire Fontaine"],
        user=alice,
        start=start,
        end=start + len("Fontaine"),
        entity_type="ORG",
    )
    span.refresh_from_db()
    assert (span.text, span.entity_type, span.corrected) == ("Fontaine", "ORG", True)


def test_accepting_with_another_source_leaves_the_suggested_speaker(alice, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    start = TEXT.index("Claire")
    other = SpanFactory(
        article=article, label=labels["entity"], start=start, end=start + 6
    )
    quote = services.span_accept(
        span=spans["Nous doublerons les pistes cyclables"], user=alice, source=other
    )
    assert quote.source_id == other.pk
    assert quote.corrected is True
    assert Span.objects.get(pk=spans["Claire Fontaine"].pk).status == "suggested"


def test_accepting_an_invalid_correction_changes_nothing(alice, labels):
    article, run = suggested_article(alice)
    claim = by_text(run)["Le budget de Villebrune a augmenté de 8 % en un an."]
    with pytest.raises(ValidationError, match="past the end"):
        services.span_accept(span=claim, user=alice, end=len(TEXT) + 5)
    claim.refresh_from_db()
    assert (claim.status, claim.version) == ("suggested", 1)


def test_a_stale_version_or_a_decided_suggestion_is_a_conflict(alice, bob, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    claim = spans["Le budget de Villebrune a augmenté de 8 % en un an."]
    with pytest.raises(services.Conflict, match="version 1; you sent 3"):
        services.span_accept(span=claim, user=alice, version=3)
    services.span_accept(span=claim, user=bob, version=1)
    with pytest.raises(services.Conflict, match="already accepted by bob"):
        services.span_accept(span=claim, user=alice, version=1)
    with pytest.raises(services.Conflict, match="already accepted"):
        services.span_dismiss(span=claim, user=alice)
    services.span_dismiss(span=spans["Villebrune"], user=alice)
    with pytest.raises(services.Conflict, match="already dismissed"):
        services.span_accept(span=spans["Villebrune"], user=alice)


@pytest.mark.parametrize("who", ["rita", "carl", "nemo"])
def test_only_editors_and_admins_accept_or_dismiss(request, alice, labels, who):
    article, run = suggested_article(alice)
    claim = by_text(run)["Le budget de Villebrune a augmenté de 8 % en un an."]
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.span_accept(span=claim, user=user)
    with pytest.raises(PermissionDenied):
        services.span_dismiss(span=claim, user=user)


def test_an_admin_accepts_and_dismisses(alice, ada, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    assert services.span_accept(span=spans["Villebrune"], user=ada).created_by == ada
    claim = spans["Le budget de Villebrune a augmenté de 8 % en un an."]
    assert services.span_dismiss(span=claim, user=ada).status == "dismissed"


def test_tagging_exactly_a_suggestion_accepts_it(alice, bob, labels):
    article, run = suggested_article(alice)
    suggestion = by_text(run)["Villebrune"]
    span = services.span_create(
        user=bob,
        article=article,
        label=labels["entity"],
        start=suggestion.start,
        end=suggestion.end,
    )
    assert span.pk == suggestion.pk
    span.refresh_from_db()
    # No type given: the suggested one stays.
    assert (span.status, span.created_by, span.entity_type) == ("pending", bob, "LOC")
    assert span.origin == "rule:test-entity"


def test_a_dismissed_suggestion_never_blocks_the_same_span_by_hand(alice, labels):
    article, run = suggested_article(alice)
    suggestion = by_text(run)["Villebrune"]
    services.span_dismiss(span=suggestion, user=alice)
    span = services.span_create(
        user=alice,
        article=article,
        label=labels["entity"],
        start=suggestion.start,
        end=suggestion.end,
    )
    assert span.pk != suggestion.pk
    assert span.origin == "manual"
    assert Span.objects.get(pk=suggestion.pk).status == "dismissed"


def test_a_span_moved_onto_a_suggestion_takes_its_place(alice, labels):
    article, run = suggested_article(alice)
    speaker = by_text(run)["Claire Fontaine"]
    quote = by_text(run)["Nous doublerons les pistes cyclables"]
    start = TEXT.index("Claire")
    manual = services.span_create(
        user=alice, article=article, label=labels["entity"], start=start, end=start + 6
    )
    services.span_update(span=manual, user=alice, end=speaker.end)
    assert not Span.objects.filter(pk=speaker.pk).exists()
    # The suggested quote now names the span made by hand.
    assert Span.objects.get(pk=quote.pk).source_id == manual.pk


def test_a_suggestion_is_neither_edited_deleted_nor_reviewed(alice, rita, labels):
    article, run = suggested_article(alice)
    claim = by_text(run)["Le budget de Villebrune a augmenté de 8 % en un an."]
    with pytest.raises(PermissionDenied, match="accept it"):
        services.span_update(span=claim, user=alice, entity_type=None, start=0)
    with pytest.raises(PermissionDenied, match="accept it"):
        services.span_delete(span=claim, user=alice)
    with pytest.raises(PermissionDenied, match="not reviewed"):
        services.span_approve(span=claim, user=rita, version=1)


def test_editing_an_accepted_suggestion_counts_as_a_correction(alice, labels):
    article, run = suggested_article(alice)
    span = services.span_accept(span=by_text(run)["Claire Fontaine"], user=alice)
    assert span.corrected is False
    span = services.span_update(span=span, user=alice, entity_type="ORG")
    span.refresh_from_db()
    assert span.corrected is True


# Dismissing


def test_dismissing_hides_it_and_unlinks_what_named_it(alice, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    span = services.span_dismiss(span=spans["Claire Fontaine"], user=alice, version=1)
    assert (span.status, span.version) == ("dismissed", 2)
    quote = Span.objects.get(pk=spans["Nous doublerons les pistes cyclables"].pk)
    assert quote.source_id is None
    assert not Span.objects.visible_to(alice).filter(pk=span.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISMISS)
    assert (event.actor, event.object_id) == (alice, span.pk)


# What the database itself refuses


@pytest.mark.parametrize(
    "fields",
    [
        {"score": 1.5},
        {"score": -0.1},
        {"origin": "guess"},
        {"status": "unknown"},
        {"status": "suggested", "score": None},
        {"status": "suggested", "origin": "manual", "score": 0.5},
    ],
)
def test_the_database_refuses_impossible_values(article, labels, fields):
    span = SpanFactory(article=article, label=labels["quote"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.filter(pk=span.pk).update(**fields)


def test_suggestions_may_stand_where_a_span_is(article, labels):
    span = SpanFactory(article=article, label=labels["quote"])
    twin = SpanFactory(
        article=article,
        label=labels["quote"],
        status="dismissed",
        origin="rule:x",
        score=0.5,
    )
    assert (twin.start, twin.end) == (span.start, span.end)
    with pytest.raises(IntegrityError), transaction.atomic():
        SpanFactory(article=article, label=labels["quote"])


# Adjusting before accepting, and what a later run does with it


def test_adjusting_moves_a_suggestion_that_stays_one(alice, labels):
    article, run = suggested_article(alice)
    speaker = by_text(run)["Claire Fontaine"]
    start = TEXT.index("Fontaine")
    span = services.suggestion_adjust(
        span=speaker, user=alice, version=1, start=start, end=speaker.end
    )
    span.refresh_from_db()
    assert (span.text, span.status, span.corrected, span.version) == (
        "Fontaine",
        "suggested",
        True,
        2,
    )
    with pytest.raises(services.Conflict):
        services.suggestion_adjust(
            span=speaker, user=alice, version=1, start=speaker.start, end=speaker.end
        )
    accepted = services.span_accept(span=span, user=alice)
    assert (accepted.status, accepted.corrected) == ("pending", True)


def test_a_run_keeps_adjusted_suggestions_and_proposes_no_near_twin(alice, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    start = TEXT.index("Fontaine")
    adjusted = services.suggestion_adjust(
        span=spans["Claire Fontaine"], user=alice, version=1, start=start, end=start + 8
    )
    again = services.suggestions_store(article=article, user=alice, found=proposals())
    assert adjusted.pk in {s.pk for s in again.suggestions}
    assert "Claire Fontaine" not in by_text(again)
    assert (
        by_text(again)["Nous doublerons les pistes cyclables"].source_id == adjusted.pk
    )
    assert article.spans.filter(label__slug="entity").count() == 2


def test_a_quote_tagged_with_its_guillemets_is_not_proposed_again(alice, labels):
    article, _run = suggested_article(alice, found=[])
    end = TEXT.index("»") + 1
    services.span_create(
        user=alice, article=article, label=labels["quote"], start=0, end=end
    )
    run = services.suggestions_store(article=article, user=alice, found=proposals())
    assert "Nous doublerons les pistes cyclables" not in by_text(run)
    assert run.existing == 1


# Undo


def test_undoing_an_accept_or_a_dismissal_makes_it_a_suggestion_again(alice, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    claim = services.span_accept(
        span=spans["Le budget de Villebrune a augmenté de 8 % en un an."],
        user=alice,
        end=TEXT.index(" a augmenté"),
    )
    back, _event = services.span_undo(user=alice, event=claim.audit_event)
    back.refresh_from_db()
    assert (back.status, back.text, back.corrected) == (
        "suggested",
        "Le budget de Villebrune a augmenté de 8 % en un an.",
        False,
    )
    dismissed = services.span_dismiss(span=spans["Villebrune"], user=alice)
    back, _event = services.span_undo(user=alice, event=dismissed.audit_event)
    assert Span.objects.get(pk=back.pk).status == "suggested"


def test_undoing_an_adjustment_puts_the_suggestion_back(alice, labels):
    article, run = suggested_article(alice)
    speaker = by_text(run)["Claire Fontaine"]
    start = TEXT.index("Fontaine")
    span = services.suggestion_adjust(
        span=speaker, user=alice, version=1, start=start, end=speaker.end
    )
    back, _event = services.span_undo(user=alice, event=span.audit_event)
    back.refresh_from_db()
    assert (back.text, back.status, back.corrected) == (
        "Claire Fontaine",
        "suggested",
        False,
    )


def test_an_accepted_speaker_stays_accepted_while_a_quote_names_it(alice, labels):
    article, run = suggested_article(alice)
    spans = by_text(run)
    services.span_accept(span=spans["Nous doublerons les pistes cyclables"], user=alice)
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.ACCEPT, object_id=spans["Claire Fontaine"].pk
    )
    with pytest.raises(ValidationError, match="stays accepted"):
        services.span_undo(user=alice, event=event)
