"""Review from the keyboard in a real browser; the author then reads the verdict."""

import pytest

from annotations import services
from annotations.models import Article, AuditEvent, Span

from .conftest import log_in

pytestmark = pytest.mark.e2e

TEXT = (
    "Le conseil municipal de Villebrune a voté jeudi soir. « Nous ne pouvons plus "
    "attendre », a déclaré la maire Claire Dumont. L’opposition dénonce un projet "
    "mal financé 🚲 et réclame une étude."
)
PHRASES = [
    ("entity", "Villebrune"),
    ("quote", "« Nous ne pouvons plus attendre »"),
    ("entity", "Claire Dumont"),
]


@pytest.fixture
def spans(alice, labels):
    article = services.article_create(
        user=alice, title="Budget à Villebrune", text=TEXT
    )
    return [
        services.span_create(
            user=alice,
            article=article,
            label=labels[slug],
            start=TEXT.index(phrase),
            end=TEXT.index(phrase) + len(phrase),
        )
        for slug, phrase in PHRASES
    ]


def test_it_reviews_from_the_keyboard_and_the_author_reads_why(
    page, alice, rita, spans
):
    first, second, third = spans
    log_in(page, "rita")
    page.goto("/review/")
    page.wait_for_selector(".review-row")
    # Swapped in place: this marker would vanish on a page load.
    page.evaluate("window.stillHere = true")

    count = page.locator("#pending-count")
    assert "3 pending spans" in count.inner_text()
    # Cards say what an entity is and who a quote's source is.
    assert "no type yet" in page.locator(f"#review-row-{first.pk}").inner_text()

    # j focuses the first row, a approves it and the next span takes the focus.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"review-row-{first.pk}"
    page.keyboard.press("a")
    page.wait_for_selector(f"#review-row-{first.pk}.status-approved")
    assert "Approved by you" in page.locator(f"#review-row-{first.pk}").inner_text()
    page.wait_for_function(
        "id => document.activeElement.id === id", arg=f"review-row-{second.pk}"
    )
    assert "2 pending spans" in count.inner_text()

    # r opens the reasons of a quote, the first one focused; none for entities.
    page.keyboard.press("r")
    row = page.locator(f"#review-row-{second.pk}")
    reasons = row.locator(".reason-chip")
    assert [text.strip() for text in reasons.all_inner_texts()] == [
        "1 wrong boundaries",
        "2 wrong label",
        "3 not a quote",
        "4 wrong source",
    ]
    assert page.evaluate("document.activeElement.value") == "wrong_boundaries"
    # Keys typed into the words box are text, not commands.
    reason = page.locator(f"#reject-{second.pk}-reason")
    reason.focus()
    page.keyboard.type("ja2")
    assert reason.input_value() == "ja2"
    assert Span.objects.get(pk=second.pk).status == Span.Status.PENDING
    reason.fill("")
    # A digit picks a reason, Enter rejects with it; the next span takes the focus.
    page.locator(f"#review-row-{second.pk} input[name=preset]").first.focus()
    page.keyboard.press("2")
    assert page.evaluate("document.activeElement.value") == "wrong_label"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#review-row-{second.pk}.status-rejected")
    assert "Rejected by you" in row.inner_text()
    assert "wrong label" in row.inner_text()
    page.wait_for_function(
        "id => document.activeElement.id === id", arg=f"review-row-{third.pk}"
    )
    assert "1 pending span" in count.inner_text()

    # Escape closes a reject form without deciding, and the focus comes back.
    page.keyboard.press("r")
    third_row = page.locator(f"#review-row-{third.pk}")
    assert "not an entity" in third_row.inner_text()
    assert "not a quote" not in third_row.inner_text()
    page.keyboard.press("Escape")
    assert not page.locator(f"#reject-{third.pk}-reason").is_visible()
    assert page.evaluate("document.activeElement.id") == f"review-row-{third.pk}"

    assert page.evaluate("window.stillHere") is True
    statuses = dict(Span.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: "approved",
        second.pk: "rejected",
        third.pk: "pending",
    }
    assert Span.objects.get(pk=second.pk).rejection_reason == "wrong label"
    assert AuditEvent.objects.filter(action__in=["approve", "reject"]).count() == 2

    # The author opens the article and reads why the span was rejected.
    page.context.clear_cookies()
    log_in(page, "alice")
    page.goto(f"/articles/{Article.objects.get().pk}/")
    panel_row = page.locator(f"#span-row-{second.pk}")
    assert "Rejected by rita" in panel_row.inner_text()
    assert "wrong label" in panel_row.inner_text()
    assert "Approved by rita" in page.locator(f"#span-row-{first.pk}").inner_text()
    # The history opens inside the row.
    panel_row.get_by_role("link", name="History").click()
    page.wait_for_selector(f"#span-history-{second.pk} .events")
    history = page.locator(f"#span-history-{second.pk}").inner_text()
    assert "Created" in history and "Rejected" in history


def test_it_approves_and_rejects_from_the_article_panel(page, alice, rita, spans):
    first, second, third = spans
    log_in(page, "rita")
    page.goto(f"/articles/{first.article_id}/")
    row = page.locator(f"#span-row-{first.pk}")
    row.get_by_role("button", name="Approve").click()
    page.wait_for_selector(f"#span-row-{first.pk}.status-approved")
    page.wait_for_selector(
        f'#article-text [data-span-id="{first.pk}"][data-status="approved"]'
    )
    assert "1 approved" in page.locator("#panel-head").inner_text()

    row = page.locator(f"#span-row-{second.pk}")
    row.locator("summary", has_text="Reject").click()
    row.locator(f"#reject-{second.pk}-reason").fill("speaker unclear")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#span-row-{second.pk}.status-rejected")
    assert "speaker unclear" in page.locator(f"#span-row-{second.pk}").inner_text()
    assert Span.objects.get(pk=second.pk).rejection_reason == "speaker unclear"
