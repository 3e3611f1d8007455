"""Every page, as every role, under the Content-Security-Policy: no violation.

Chromium reports a blocked inline script or style, eval or foreign resource as
a ``securitypolicyviolation`` event and a console error; either fails the test.
"""

import pytest

from annotations import datasets, services
from annotations.models import Label, Span

from .conftest import log_in
from .test_annotate import SELECT_PHRASE, wait_for_mark

pytestmark = pytest.mark.e2e

TEXT = (
    "« Nous tiendrons parole », a promis Zoé Lefèvre, maire de Villebrune, "
    "devant le conseil municipal.\n\nLe budget du port sera voté en mars."
)
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def tag(user, article, slug, phrase, **fields):
    start = TEXT.index(phrase)
    return services.span_create(
        user=user,
        article=article,
        label=Label.objects.get(slug=slug),
        start=start,
        end=start + len(phrase),
        **fields,
    )


@pytest.fixture
def newsroom(alice, bob, rita, carl, ada, nemo):
    """An article with spans in every status, a snapshot and a token."""
    article = services.article_create(
        user=alice, title="Le budget du port", text=TEXT, outlet="La Vigie"
    )
    zoe = tag(alice, article, "entity", "Zoé Lefèvre", entity_type="PER")
    quote = tag(alice, article, "quote", "« Nous tiendrons parole »", source=zoe)
    claim = tag(alice, article, "claim", "Le budget du port sera voté en mars")
    tag(alice, article, "opinion", "conseil municipal")
    services.span_approve(span=zoe, user=rita, version=1)
    services.span_approve(span=quote, user=rita, version=1)
    services.span_reject(span=claim, user=rita, version=1, reason="wrong label")
    datasets.dataset_create(user=alice, name="port", filters={"status": "approved"})
    for user in (alice, carl):
        services.api_token_create(user=user, name="nightly export")
    return article, quote


def pages(article, quote):
    return [
        "/",
        "/?status=awaiting_review",
        "/articles/new/",
        f"/articles/{article.pk}/",
        f"/articles/{article.pk}/?span={quote.pk}&edit=1",
        f"/articles/{article.pk}/history/",
        f"/spans/{quote.pk}/history/",
        "/review/",
        "/stats/",
        "/export/",
        "/datasets/",
        "/tokens/",
        "/keys/",
        "/account/",
        "/api/v1/docs/",
        "/no-such-page/",
    ]


ADMIN_PAGES = [
    "/admin/",
    "/admin/auth/user/",
    "/admin/auth/user/add/",
    "/admin/auth/group/",
    "/admin/annotations/label/",
    "/admin/annotations/label/add/",
    "/admin/annotations/article/",
    "/admin/annotations/span/",
    "/admin/annotations/auditevent/",
    "/admin/annotations/dataset/",
    "/admin/axes/accessattempt/",
]


def visit(page, path) -> list[str]:
    """Load ``path`` under the policy and return the violations reported."""
    response = page.goto(path)
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy, f"{path} has no policy"
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp || []")


def watched(page):
    console = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return console


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "ada", "nemo"])
def test_no_page_breaks_the_policy(page, request, newsroom, persona):
    article, quote = newsroom
    console = watched(page)
    log_in(page, persona)
    found = {}
    paths = pages(article, quote)
    if persona == "ada":
        paths += ADMIN_PAGES
        paths.append(f"/admin/auth/user/{request.getfixturevalue('ada').pk}/change/")
        paths.append(f"/admin/annotations/label/{Label.objects.first().pk}/change/")
        paths.append(f"/admin/annotations/span/{quote.pk}/change/")
    for path in paths:
        violations = visit(page, path)
        if violations:
            found[path] = violations
    assert not found, found
    assert not console, console


def test_the_login_pages_keep_the_policy(page, newsroom):
    console = watched(page)
    found = {}
    for path in ("/accounts/login/", "/admin/login/"):
        violations = visit(page, path)
        if violations:
            found[path] = violations
    # A locked-out login page too.
    page.goto("/accounts/login/")
    for _attempt in range(10):
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "not the password")
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
    assert "locked" in page.inner_text(".login")
    found["locked"] = page.evaluate("window.__csp || []")
    assert not any(found.values()), found
    assert not console, console


def test_the_api_docs_render_under_the_policy(page, newsroom):
    console = watched(page)
    log_in(page, "alice")
    assert visit(page, "/api/v1/docs/") == []
    page.wait_for_selector("#swagger-ui .opblock-tag", timeout=20_000)
    assert "Newsroom annotations API" in page.inner_text("#swagger-ui")
    assert page.evaluate("window.__csp") == []
    assert not console, console


def test_the_upload_preview_and_its_warnings_keep_the_policy(page, newsroom):
    console = watched(page)
    log_in(page, "alice")
    found = {}
    page.goto("/articles/new/")
    furniture = "Sélectionner la langue\nDown Icon\n"
    page.fill("textarea[name=text]", "Le port rouvre\n" + furniture + TEXT)
    page.click("button[value=preview]")
    page.wait_for_selector(".paragraph-list li:has(input:not(:checked))")
    found["preview"] = page.evaluate("window.__csp")
    # Ticking a line back runs the page's script.
    page.locator(".paragraph-list li", has_text="Down Icon").locator("input").check()
    found["preview, a line ticked back"] = page.evaluate("window.__csp")
    # The same text as an article already stored: the warning and its link.
    page.goto("/articles/new/")
    page.fill("input[name=title]", "Encore")
    page.fill("textarea[name=text]", TEXT)
    page.click("button[value=save]")
    page.wait_for_selector(".duplicate-note")
    found["duplicate warning"] = page.evaluate("window.__csp")
    # A new token's key, shown once.
    page.goto("/tokens/")
    page.fill("input[name=name]", "notebook")
    page.click(".token-form button[type=submit]")
    page.wait_for_selector("#new-token-key")
    found["new token"] = page.evaluate("window.__csp")
    page.click("form[action$='/logout/'] button")
    page.wait_for_load_state("networkidle")
    found["logged out"] = page.evaluate("window.__csp || []")
    assert not any(found.values()), found
    assert not console, console


def test_annotating_and_reviewing_work_under_the_policy(page, newsroom, rita):
    article, quote = newsroom
    console = watched(page)
    log_in(page, "alice")
    page.goto(f"/articles/{article.pk}/")
    # The label colours come from the stylesheet the server renders.
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.label-chip[data-label-slug=quote]'))"
        ".getPropertyValue('--c').trim()"
    )
    assert colour == Label.objects.get(slug="quote").colour
    phrase = "devant"
    page.evaluate(SELECT_PHRASE, [phrase, False])
    page.wait_for_selector("#label-toolbar:not([hidden])")
    page.keyboard.press("c")
    # The source picker proposes Zoé Lefèvre, before it; Enter keeps none.
    page.wait_for_selector("#source-picker:not([hidden])")
    page.keyboard.press("Enter")
    wait_for_mark(page, "claim", count=2)
    assert Span.objects.filter(text=phrase).exists()
    assert page.evaluate("window.__csp") == []
    page.click("form[action$='/logout/'] button")
    log_in(page, "rita")
    page.goto("/review/")
    page.wait_for_selector(".review-row")
    assert page.evaluate("window.__csp") == []
    assert not console, console
