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

    # j focuses the first row, a approves it.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"review-row-{first.pk}"
    page.keyboard.press("a")
    page.wait_for_selector(f"#review-row-{first.pk}.status-approved")
    assert "Approved by you" in page.locator(f"#review-row-{first.pk}").inner_text()

    # j moves on; r opens the reject form with the focus in it.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"review-row-{second.pk}"
    page.keyboard.press("r")
    reason = page.locator(f"#reject-{second.pk}-reason")
    assert reason.is_visible()
    assert page.evaluate("document.activeElement.name") == "reason"
    # Keys typed into the form are text, not commands.
    page.keyboard.type("ja")
    assert reason.input_value() == "ja"
    assert Span.objects.get(pk=second.pk).status == Span.Status.PENDING
    reason.fill("")
    # One click picks a reason, Enter rejects.
    row = page.locator(f"#review-row-{second.pk}")
    row.locator(".reason-chip", has_text="wrong label").click()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#review-row-{second.pk}.status-rejected")
    assert "Rejected by you" in row.inner_text()
    assert "wrong label" in row.inner_text()
    # The focus stays on the decided row, so j goes on to the next one.
    assert page.evaluate("document.activeElement.id") == f"review-row-{second.pk}"

    # Escape closes a reject form without deciding.
    page.keyboard.press("j")
    page.keyboard.press("r")
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
