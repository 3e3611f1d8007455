"""The whole walk in a French browser finds no English word, and in an English
browser finds English: login, list, upload, annotate, review, export, datasets,
tokens (and the account page and dashboard on the way).

With SCREENSHOTS_DIR set, the French walk saves the annotate and review pages
there (the README's pictures: `SCREENSHOTS_DIR=docs`).
"""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from annotations import services

from ..factories import UserFactory
from .conftest import PASSWORD

pytestmark = pytest.mark.e2e

# English words of the interface that French never uses. Words both languages
# share (Article, Description, Format, Source, Opinion, Page, Test…) are left out.
ENGLISH_WORDS = [
    "About",
    "Account",
    "Admin",
    "All",
    "Another",
    "Any",
    "Anyone",
    "Approval",
    "Approve",
    "Approved",
    "Back",
    "Byline",
    "Cancel",
    "Claim",
    "Clear",
    "Copy",
    "Create",
    "Created",
    "Dashboard",
    "Datasets",
    "Day",
    "Delete",
    "Download",
    "Edit",
    "Enter",
    "Entity",
    "Esc",
    "Expires",
    "Filter",
    "Freeze",
    "History",
    "Keys",
    "Label",
    "Labels",
    "Language",
    "Log",
    "Name",
    "Next",
    "Newsroom",
    "Oldest",
    "Outlet",
    "Password",
    "Pending",
    "Preview",
    "Previous",
    "Published",
    "Quote",
    "Reason",
    "Reject",
    "Rejected",
    "Review",
    "Revoke",
    "Save",
    "Scope",
    "Search",
    "Seed",
    "Select",
    "Show",
    "Snapshot",
    "Spans",
    "Split",
    "Stats",
    "Status",
    "Text",
    "Title",
    "Token",
    "Tokens",
    "Upload",
    "Uploaded",
    "Username",
    "Why",
    "Your",
    "and",
    "approve",
    "approved",
    "by",
    "never",
    "none",
    "of",
    "pending",
    "reject",
    "rejected",
    "span",
    "spans",
    "the",
    "with",
    "quote",
    "claim",
    "entity",
    "you",
    "your",
]
WORD = re.compile(r"\b(" + "|".join(ENGLISH_WORDS) + r")\b")

# What a person reads: the text and the words in attributes, less machine text
# (code samples, key caps) and the switch, where each language names itself.
READ_PAGE = """
() => {
  const skip = "code, pre, kbd, .language-switch, script, style";
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const parent = node.parentElement;
    if (parent && !parent.closest(skip)) parts.push(node.data);
  }
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
    if (el.closest(skip)) continue;
    for (const name of ["title", "aria-label", "placeholder"]) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  parts.push(document.title);
  return parts.join("\\n");
}
"""

SELECT_PHRASE = """
(phrase) => {
  const root = document.getElementById("article-text");
  const from = root.textContent.indexOf(phrase);
  if (from < 0) throw new Error("not in the page: " + phrase);
  const to = from + phrase.length;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node, seen = 0, start = null, end = null;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (start === null && from < seen + length) start = [node, from - seen];
    if (to <= seen + length) { end = [node, to - seen]; break; }
    seen += length;
  }
  const range = document.createRange();
  range.setStart(start[0], start[1]);
  range.setEnd(end[0], end[1]);
  window.getSelection().removeAllRanges();
  window.getSelection().addRange(range);
}
"""

# Written for this test.
PENDING_TEXT = (
    "La médiathèque de Brévalon rouvrira en mars. « Les travaux sont presque "
    "finis », assure le directeur Paul Garnier. Les habitants attendaient ce "
    "retour depuis deux ans."
)
UPLOADED_TEXT = (
    "Le marché couvert de Saint-Aubry accueillera vingt producteurs. « Nous "
    "voulons des circuits courts », explique l’adjointe Lina Roche. Le chantier "
    "coûtera 1,2 million d’euros."
)


@pytest.fixture
def walker(seeded):
    """An editor and reviewer, with another editor's spans waiting for review."""
    user = UserFactory(username="eva")
    user.groups.set(Group.objects.filter(name__in=["editor", "reviewer"]))
    author = UserFactory(username="lucas")
    author.groups.set(Group.objects.filter(name="editor"))
    from annotations.models import Label

    labels = {label.slug: label for label in Label.objects.all()}
    article = services.article_create(
        user=author, title="Réouverture à Brévalon", text=PENDING_TEXT
    )
    for slug, phrase in [
        ("entity", "Paul Garnier"),
        ("quote", "« Les travaux sont presque finis »"),
        ("claim", "La médiathèque de Brévalon rouvrira en mars."),
    ]:
        start = PENDING_TEXT.index(phrase)
        services.span_create(
            user=author,
            article=article,
            label=labels[slug],
            start=start,
            end=start + len(phrase),
        )
    return user


def _screenshot(page, name):
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name))


def walk(page, *, screenshots=False):
    """Go through every page a newsroom uses; return {step: text read there}."""
    seen = {}

    def picture(name):
        if screenshots:
            _screenshot(page, name)

    def read(step):
        seen[step] = page.evaluate(READ_PAGE)

    page.goto("/accounts/login/")
    read("login")
    page.fill("input[name=username]", "eva")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_url("**/")
    read("list")

    page.goto("/articles/new/")
    read("upload")
    page.fill("input[name=title]", "Un marché couvert à Saint-Aubry")
    page.fill("input[name=language]", "fr")
    page.fill("textarea[name=text]", UPLOADED_TEXT)
    page.click("button[name=action][value=preview]")
    page.wait_for_selector(".preview-note")
    read("upload preview")
    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r".*/articles/\d+/$"))
    page.wait_for_selector("#article-text")
    read("annotate")

    page.evaluate(SELECT_PHRASE, "« Nous voulons des circuits courts »")
    page.wait_for_selector("#label-toolbar:not([hidden])")
    page.keyboard.press("q")
    page.wait_for_selector("#annotate-message .flash.ok")
    page.evaluate(SELECT_PHRASE, "Lina Roche")
    page.keyboard.press("e")
    page.wait_for_selector("#type-picker:not([hidden])")
    read("annotate with the type picker")
    page.keyboard.press("p")
    page.wait_for_selector("#spans-entity .span-row")
    page.evaluate(SELECT_PHRASE, "Saint-Aubry")
    page.wait_for_selector("#label-toolbar:not([hidden])")
    read("annotate with toolbar")
    picture("annotate-fr.png")
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    page.wait_for_selector("#keys-help[open] .keys-list")
    read("keys")
    page.keyboard.press("Escape")

    page.goto("/review/")
    page.wait_for_selector(".review-row")
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_selector(".review-row.status-approved")
    page.keyboard.press("j")
    page.keyboard.press("r")
    page.wait_for_selector("details.reject[open]")
    read("review")
    picture("review-fr.png")
    page.locator("details.reject[open] .reason-chip").first.click()
    page.keyboard.press("Enter")
    page.wait_for_selector(".review-row.status-rejected")
    read("review decided")

    page.goto("/stats/")
    read("dashboard")

    page.goto("/export/")
    read("export")

    page.goto("/datasets/")
    read("datasets")
    page.fill("#dataset-form input[name=name]", "citations-brevalon")
    page.click("#dataset-form button[type=submit]")
    page.wait_for_selector(".dataset")
    read("datasets with a snapshot")

    page.goto("/tokens/")
    read("tokens")
    page.fill("input[name=name]", "export-nocturne")
    page.click("form.token-form button[type=submit]")
    page.wait_for_selector("#new-token-key")
    read("tokens with a new key")

    page.goto("/account/")
    read("account")
    return seen


@pytest.fixture
def browser_page(browser, live_server, transactional_db):
    contexts, errors = [], []

    def open_page(locale):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport={"width": 1180, "height": 760},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_a_french_browser_reads_no_english(browser_page, walker):
    page = browser_page("fr-FR")
    seen = walk(page, screenshots=True)
    english = {step: sorted(set(WORD.findall(text))) for step, text in seen.items()}
    assert not any(english.values()), english
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert "Citation" in seen["annotate with toolbar"]
    assert "Approuvé par vous" in seen["review decided"]
    assert "Rejeté par vous" in seen["review decided"]
    assert "mauvaises limites" not in seen["review"]
    assert "limites erronées" in seen["review"]


def test_an_english_browser_reads_english(browser_page, walker):
    page = browser_page("en-US")
    seen = walk(page)
    for step, text in seen.items():
        assert WORD.search(text), f"no English on the {step} page"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Approved by you" in seen["review decided"]
