"""Page furniture in an article's text: what to drop before annotating it.

Text copied from a web page (or extracted from a saved one) brings the page
along: language pickers, menus, share buttons, the headline twice, bylines,
footers. ``paragraphs(text)`` splits the text into its non-blank lines and says
of each whether it looks like furniture and why; ``headline`` picks the title;
``join`` rebuilds the text from the lines the editor kept. Pure functions over
strings; the word lists live in ``data/furniture.txt``.

The rules, in the order they are tried on each line:

- menu: the line is (or starts with, or contains) words of the list;
- byline: "Par …" / "By …", or a short line carrying a date;
- repeated: the same line again (the headline's second copy on the next line
  is reported as such; a long line keeps its first copy, a short one none);
- short: at most ``SHORT_WORDS`` words, no verb of the list, no sentence end,
  unless it sits between two paragraphs like an intertitle;
- above the headline / after the article: the headline is the heading-like
  line nearest above the first paragraph, and everything above it is the
  page's header; lines after the last paragraph that are not sentences are
  its footer.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy

DATA_FILE = Path(__file__).with_name("data") / "furniture.txt"

SHORT_WORDS = 6
# A paragraph of the article: this many words and a sentence end, or twice as many.
BODY_WORDS = 12
# How far above the first paragraph the headline may sit (bylines, dates, photos).
HEADLINE_REACH = 8

REASONS = {
    "menu": gettext_lazy("menu or button words"),
    "byline": gettext_lazy("byline or date"),
    "repeated": gettext_lazy("repeated in the text"),
    "headline_again": gettext_lazy("the headline again"),
    "short": gettext_lazy("short line without a verb"),
    "above_headline": gettext_lazy("above the headline"),
    "after_article": gettext_lazy("after the last paragraph"),
}

_BULLETS = "•·▪▫▸►‣◦●○■□◆◇*-–—>›»|+"
_EDGE = re.compile(rf"^[\s{re.escape(_BULLETS)}]+|[\s.,;:!?…|>›»«\"“”'’()\[\]-]+$")
_SEPARATOR = re.compile(r"^\s*[:|–—\-›»>]")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…](?:[\s\"'»”’)\]]*)$")
_BULLET_START = re.compile(rf"^\s*[{re.escape(_BULLETS)}]\s")
_BYLINE = re.compile(r"^(?:par|by)\s+(?P<names>.+)$", re.IGNORECASE)
# Words a name may hold in lower case: "Par Jean de La Fontaine et Marie Curie".
_NAME_PARTICLES = {"de", "du", "des", "d'", "la", "le", "et", "and", "von", "van", "da"}
_PUBLISHED = re.compile(
    r"^(?:publié|mis à jour|modifié|updated|published|posted)\b", re.IGNORECASE
)
_MONTHS = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|"
    "octobre|novembre|décembre|decembre|january|february|march|april|may|june|"
    "july|august|september|october|november|december"
)
# A full date, year included: "3 mars : la Garonne déborde" is a headline.
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\s+\d{{4}}\b"
    rf"|\b(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}}\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b|\b\d{4}-\d{2}-\d{2}\b",
    re.IGNORECASE,
)
_ELIDED = re.compile(r"^\w{1,7}['’](?=\w)")


@dataclass(frozen=True)
class Paragraph:
    """One non-blank line of the text; ``reason`` is "" for a line to keep."""

    index: int
    text: str
    reason: str = ""
    is_headline: bool = False
    # A blank line came just before it (``join`` keeps the paragraph break).
    after_blank: bool = False

    @property
    def keep(self) -> bool:
        return not self.reason

    @property
    def reason_text(self) -> str:
        return str(REASONS[self.reason]) if self.reason else ""


@dataclass(frozen=True)
class WordLists:
    lines: frozenset
    prefixes: tuple
    contains: tuple
    verbs: frozenset


def key(line: str) -> str:
    """Return ``line`` as compared: no accents, case, bullets or edge punctuation."""
    decomposed = unicodedata.normalize("NFKD", line.replace("’", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_EDGE.sub("", plain.casefold()).split())


def parse_word_lists(source: str) -> WordLists:
    """Read the ``[section]`` lists of ``data/furniture.txt``."""
    sections = {"line": [], "prefix": [], "contains": [], "verbs": []}
    current = None
    for raw in source.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections[line[1:-1]]
            continue
        if current is None:
            raise ValueError(f"An entry before any [section]: {line!r}")
        current.append(line)
    return WordLists(
        lines=frozenset(key(entry) for entry in sections["line"]),
        # "©" has no letters, so key() would leave nothing of it.
        prefixes=tuple(key(entry) or entry for entry in sections["prefix"]),
        contains=tuple(key(entry) or entry for entry in sections["contains"]),
        verbs=frozenset(entry.casefold() for entry in sections["verbs"]),
    )


@cache
def word_lists() -> WordLists:
    return parse_word_lists(DATA_FILE.read_text(encoding="utf-8"))


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


def _is_menu(line: str, lists: WordLists) -> bool:
    plain = key(line)
    if not plain:
        # Only bullets, digits in punctuation, arrows: nothing to read.
        return not any(c.isalnum() for c in line)
    if plain in lists.lines:
        return True
    folded = line.casefold()
    for entry in lists.contains:
        if entry in plain or entry in folded:
            return True
    stripped = _EDGE.sub("", line.casefold().replace("’", "'")).strip()
    stripped_plain = key(stripped)
    for prefix in lists.prefixes:
        if not any(c.isalnum() for c in prefix):
            if stripped.startswith(prefix):
                return True
        elif stripped_plain.startswith(prefix) and _SEPARATOR.match(
            stripped_plain[len(prefix) :]
        ):
            return True
    return False


def _has_verb(line: str, lists: WordLists) -> bool:
    for word in _words(line.casefold()):
        # "s'est", "n'a", "qu'il": the verb follows the elision.
        word = _ELIDED.sub("", word.replace("’", "'"))
        for part in word.split("'"):
            if part in lists.verbs or part.endswith(("aient", "eront", "eraient")):
                return True
    return False


def _is_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line.rstrip()))


def _is_body(line: str) -> bool:
    count = len(_words(line))
    return count >= 2 * BODY_WORDS or (count >= BODY_WORDS and _is_sentence(line))


def _byline_names(line: str) -> str:
    """Return the names of a "Par …" / "By …" line, or "" if it is not one."""
    match = _BYLINE.match(line.strip(_BULLETS + " "))
    if not match:
        return ""
    # "Par Marie Curie, le 3 mars 2025" / "By Ann Lee | Reuters": names come first.
    names = re.split(r"\s[-–—|]\s|,", match.group("names"))[0].strip()
    words = names.split()
    if not 1 <= len(words) <= SHORT_WORDS:
        return ""
    for word in words:
        if word.casefold() not in _NAME_PARTICLES and not word[:1].isupper():
            return ""
    return names


def _is_byline(line: str) -> bool:
    if _byline_names(line):
        return True
    if len(_words(line)) > 2 * SHORT_WORDS or _is_sentence(line):
        return False
    return bool(_PUBLISHED.match(line.strip()) or _DATE.search(line))


def _is_short(line: str, lists: WordLists) -> bool:
    return (
        len(_words(line)) <= SHORT_WORDS
        and not _is_sentence(line)
        and not _has_verb(line, lists)
    )


def _heading_like(line: str) -> bool:
    count = len(_words(line))
    stripped = line.strip()
    if not 2 <= count <= 25 or stripped.endswith((".", ":", ",", ";")):
        return False
    first = next((c for c in stripped if c.isalnum() or c in "«“\"'"), "")
    return bool(first) and not first.islower() and not _BULLET_START.match(line)


def _find_headline(lines: list[str], flags: list[str], first_body: int | None) -> int:
    """Return the index of the headline, or -1."""
    if first_body is None:
        return next(
            (i for i, line in enumerate(lines) if not flags[i] and _heading_like(line)),
            -1,
        )
    window = range(first_body - 1, max(-1, first_body - 1 - HEADLINE_REACH), -1)
    # A line repeated on the next line is the surest sign of a headline.
    for i in window:
        if i > 0 and key(lines[i]) == key(lines[i - 1]) and _heading_like(lines[i]):
            if flags[i - 1] in ("", "short"):
                return i - 1
    for i in window:
        if flags[i] in ("", "short") and _heading_like(lines[i]):
            return i
    return -1


def paragraphs(text: str) -> list[Paragraph]:
    """Return the non-blank lines of ``text``, each with why it looks like furniture."""
    lists = word_lists()
    lines = []
    after_blank = []
    blank = False
    for raw in text.split("\n"):
        if raw.strip():
            lines.append(raw.strip())
            after_blank.append(blank)
        blank = not raw.strip()
    keys = [key(line) for line in lines]
    flags = [""] * len(lines)
    for i, line in enumerate(lines):
        if _is_menu(line, lists):
            flags[i] = "menu"
        elif _is_byline(line):
            flags[i] = "byline"
    body = [i for i, line in enumerate(lines) if not flags[i] and _is_body(line)]
    headline = _find_headline(lines, flags, body[0] if body else None)

    seen = {}
    for i, line_key in enumerate(keys):
        if flags[i] or not line_key:
            continue
        if line_key in seen:
            first = seen[line_key]
            flags[i] = "headline_again" if first == headline else "repeated"
            if i == first + 1 and first == headline:
                flags[i] = "headline_again"
        else:
            seen[line_key] = i
    counts = {}
    for line_key in keys:
        counts[line_key] = counts.get(line_key, 0) + 1
    for i, line in enumerate(lines):
        if flags[i] or i == headline:
            continue
        # A short line seen twice is a button or a link list; a long one (a
        # pull quote) keeps its first copy.
        if counts[keys[i]] > 1 and not _is_body(line):
            flags[i] = "repeated"

    body_set = set(body)
    for i, line in enumerate(lines):
        if flags[i] or i == headline or not _is_short(line, lists):
            continue
        intertitle = (
            i - 1 in body_set
            and i + 1 in body_set
            and not _BULLET_START.match(line)
            and _heading_like(line)
        )
        if not intertitle:
            flags[i] = "short"

    if headline >= 0:
        for i in range(headline):
            flags[i] = flags[i] or "above_headline"
    if body:
        for i in range(body[-1] + 1, len(lines)):
            ending = _is_sentence(lines[i]) and len(_words(lines[i])) >= 3
            if not flags[i] and not ending:
                flags[i] = "after_article"

    if all(flags):
        # Better to keep everything than to offer an empty article.
        flags = [""] * len(lines)
    return [
        Paragraph(
            index=i,
            text=line,
            reason=flags[i],
            is_headline=i == headline,
            after_blank=after_blank[i],
        )
        for i, line in enumerate(lines)
    ]


def headline(found: list[Paragraph]) -> str:
    """Return the title the paragraphs suggest: the headline, else the first
    heading-like line kept.
    """
    for paragraph in found:
        if paragraph.is_headline and paragraph.keep:
            return paragraph.text
    for paragraph in found:
        if paragraph.keep and _heading_like(paragraph.text):
            return paragraph.text
    return ""


def byline(found: list[Paragraph]) -> str:
    """Return the author named by a "Par …" / "By …" line, or ""."""
    for paragraph in found:
        if paragraph.reason == "byline":
            names = _byline_names(paragraph.text)
            if names:
                return names[:300]
    return ""


def join(text: str, keep) -> str:
    """Return ``text`` with only the non-blank lines whose indices are in ``keep``.

    Two kept lines stay a paragraph apart if a blank line or a dropped line
    separated them, else one line apart, as they were.
    """
    keep = set(keep)
    out = []
    index = -1
    gap = False
    for line in text.split("\n"):
        if not line.strip():
            gap = True
            continue
        index += 1
        if index not in keep:
            gap = True
            continue
        if out:
            out.append("\n\n" if gap else "\n")
        out.append(line.strip())
        gap = False
    return "".join(out)
