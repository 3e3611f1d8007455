"""Phones (390 px) and tablets (768 px): no page scrolls sideways, the menu and
the span panel fold away, the toolbar sits at the bottom, fingers can tag."""

import pytest

from annotations import datasets, services
from annotations.models import Span

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e

TEXT = (
    "Le conseil de Villebrune a voté le budget jeudi soir, après quatre heures de "
    "débat et une suspension de séance demandée par l’opposition municipale.\n\n"
    "« Nous ne pouvons plus attendre », a déclaré la maire Claire Dumont, qui "
    "défend un plan de rénovation des écoles estimé à douze millions d’euros 🏫."
)
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
# A word longer than a phone is wide, in a title, to prove nothing overflows.
LONG_TITLE = "Anticonstitutionnellement" * 3 + " : le budget voté"


@pytest.fixture
def site(ada, alice, rita, labels):
    article = services.article_create(user=alice, title=LONG_TITLE, text=TEXT)
    spans = []
    for slug, phrase, entity_type in [
        ("entity", "Villebrune", "LOC"),
        ("quote", "Nous ne pouvons plus attendre", None),
        ("entity", "Claire Dumont", "PER"),
        ("claim", "estimé à douze millions d’euros", None),
    ]:
        start = TEXT.index(phrase)
        spans.append(
            services.span_create(
                user=alice,
                article=article,
                label=labels[slug],
                start=start,
                end=start + len(phrase),
                entity_type=entity_type,
            )
        )
    services.span_approve(span=spans[0], user=rita, version=1)
    services.span_reject(span=spans[3], user=rita, version=1, reason="wrong label")
    datasets.dataset_create(user=ada, name="budget-" + "x" * 60)
    return article, spans


def context_for(browser, live_server, viewport, *, touch=False):
    return browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        has_touch=touch,
        is_mobile=touch,
    )


def open_page(browser, live_server, viewport, username=None, *, touch=False):
    context = context_for(browser, live_server, viewport, touch=touch)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    if username:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/")
    return page, errors


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def pages(article, spans):
    return [
        "/",
        "/?q=budget",
        "/articles/new/",
        f"/articles/{article.pk}/",
        f"/articles/{article.pk}/?span={spans[1].pk}&edit=1",
        f"/articles/{article.pk}/history/",
        f"/spans/{spans[1].pk}/history/",
        "/review/",
        "/stats/",
        "/export/",
        "/datasets/",
        "/tokens/",
        "/keys/",
        "/admin/",
        "/admin/annotations/span/",
        "/api/v1/docs/",
    ]


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["390px", "768px"])
def test_no_page_scrolls_sideways(
    browser, live_server, transactional_db, site, viewport, carl
):
    article, spans = site
    width = viewport["width"]
    wide = {}
    page, errors = open_page(browser, live_server, viewport)
    page.goto("/accounts/login/")
    wide["/accounts/login/"] = overflow(page)
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    for url in pages(article, spans):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        wide[url] = overflow(page)
    # The upload preview, with its paragraphs.
    page.goto("/articles/new/")
    page.fill("textarea[name=text]", "Un titre de test\n\n" + TEXT)
    page.click("button[value=preview]")
    page.wait_for_selector(".paragraph-list")
    wide["/articles/new/ (preview)"] = overflow(page)
    # A page refused to a data consumer.
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "carl")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.goto("/articles/new/")
    wide["403 page"] = overflow(page)
    page.goto("/")
    page.click(".menu-toggle")
    page.click("#main-nav button:has-text('Log out')")
    page.wait_for_url("**/accounts/login/")
    wide["after logging out"] = overflow(page)
    page.context.close()
    assert {url: px for url, px in wide.items() if px > width} == {}
    assert not errors


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["390px", "768px"])
def test_the_menu_and_the_span_panel_fold_away(
    browser, live_server, transactional_db, site, viewport
):
    article, spans = site
    page, errors = open_page(browser, live_server, viewport, "alice")
    page.goto(f"/articles/{article.pk}/")

    # The navigation is one Menu button until opened.
    nav = page.locator("#main-nav")
    assert nav.is_hidden()
    page.click(".menu-toggle")
    assert nav.is_visible()
    assert nav.get_by_role("link", name="Upload").is_visible()
    heights = page.evaluate(
        """() => Array.from(document.querySelectorAll('#main-nav a, #main-nav button'))
             .map(el => el.getBoundingClientRect().height)"""
    )
    assert min(heights) >= 44
    page.keyboard.press("Escape")
    assert nav.is_hidden()
    assert page.evaluate("document.activeElement.className") == "menu-toggle"

    # The span panel is a drawer behind a button that counts the spans.
    panel = page.locator("#panel")
    assert panel.is_hidden()
    toggle = page.locator("#panel-toggle")
    assert toggle.inner_text().strip() == "4 spans"
    toggle.click()
    assert panel.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator(f"#span-row-{spans[1].pk}").is_visible()
    # Every tap target in the drawer is at least 44 px high.
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll(
             '#panel button, #panel a, #panel summary, #panel-toggle, .menu-toggle'))
             .filter(el => el.offsetParent !== null)
             .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect().height])
             .filter(([, h]) => h < 44)"""
    )
    assert small == []
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert page.evaluate("document.activeElement.id") == "panel-toggle"
    assert overflow(page) <= viewport["width"]
    page.context.close()
    assert not errors


SELECT = """
(phrase) => {
  // What a long press and the selection handles leave behind.
  const root = document.getElementById("article-text");
  const at = root.textContent.indexOf(phrase);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node, seen = 0, start = null, end = null;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (start === null && at < seen + length) start = [node, at - seen];
    if (at + phrase.length <= seen + length) { end = [node, at + phrase.length - seen]; break; }
    seen += length;
  }
  window.getSelection().setBaseAndExtent(start[0], start[1], end[0], end[1]);
}
"""


def test_it_tags_by_touch_with_the_toolbar_at_the_bottom(
    browser, live_server, transactional_db, site
):
    article, spans = site
    page, errors = open_page(browser, live_server, PHONE, "alice", touch=True)
    page.goto(f"/articles/{article.pk}/")
    page.evaluate(SELECT, "l’opposition municipale")
    toolbar = page.locator("#label-toolbar")
    toolbar.wait_for()
    box = toolbar.bounding_box()
    # Pinned to the bottom edge, the whole width.
    assert abs(box["y"] + box["height"] - PHONE["height"]) < 2
    assert box["width"] >= PHONE["width"] - 2
    for button in toolbar.locator(".toolbar-labels button").all():
        assert button.bounding_box()["height"] >= 44
    toolbar.locator('[data-label-slug="entity"]').tap()
    page.locator('#type-picker [data-entity-type="ORG"]').tap()
    page.wait_for_selector("#annotate-message .ok")
    made = Span.objects.get(text="opposition municipale")
    assert (made.label.slug, made.entity_type) == ("entity", "ORG")
    assert page.locator("#panel-toggle").inner_text().strip() == "5 spans"

    # A claim by touch: the source picker proposes the nearest entities.
    page.evaluate(SELECT, "un plan de rénovation des écoles")
    toolbar.locator('[data-label-slug="claim"]').tap()
    choices = page.locator("#source-picker .picker-choices button")
    assert [" ".join(text.split()) for text in choices.all_inner_texts()] == [
        "1 Claire Dumont",
        "2 opposition municipale",
        "3 Villebrune",
    ]
    choices.first.tap()
    page.wait_for_function(
        "() => document.getElementById('sr-announce').textContent.includes('source')"
    )
    claim = Span.objects.get(text="un plan de rénovation des écoles")
    assert (claim.label.slug, claim.source.text) == ("claim", "Claire Dumont")
    page.context.close()
    assert not errors
