"""Build the suggestion gold sets (jsonl, the export shape) from their markup.

    python tests/data/build_gold.py            # rewrite every *.gold.txt's .jsonl
    python tests/data/build_gold.py --check    # exit 1 if a .jsonl is out of date

Offsets counted by hand drift; the articles are therefore written in a light
markup and the jsonl is generated. ``tests/test_suggest_gold.py`` checks that
each committed .jsonl is what its markup builds.

Markup
------
``=== fr | Title`` starts an article (language, then title). An optional middle
field sets the French spacing inside guillemets and before ``:;?!``:
``=== fr | nbsp | Title`` (U+00A0) or ``nnbsp`` (U+202F); without it the
spaces stay plain, as many web pages have them.

``[PER Marie Lenoir]`` is an entity of type PER (ORG, LOC, MISC likewise);
``[PER#ml Marie Lenoir]`` names it ``ml`` so a later span can cite it.
``{Q@ml Nous tiendrons}`` is a quote whose source is the entity named ``ml``;
``{C …}`` a claim and ``{O …}`` an opinion, each with an optional ``@name``.
Marks nest (an entity inside a quote). The span is what lies between the
mark's head and its closing bracket; it must not start or end with a space.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = re.compile(r"^=== (\w+) \| (?:(nbsp|nnbsp) \| )?(.+)$")
OPEN = re.compile(r"\[(PER|ORG|LOC|MISC)(?:#(\w+))? |\{([QCO])(?:@(\w+))? ")
LABELS = {"Q": "quote", "C": "claim", "O": "opinion"}
SPACES = {"nbsp": "\u00a0", "nnbsp": "\u202f"}


def _french_spacing(text: str, space: str) -> str:
    text = text.replace("« ", "«" + space).replace(" »", space + "»")
    return re.sub(r" ([:;?!])", space + r"\1", text)


def parse_article(body: str) -> tuple[str, list[dict]]:
    """Return the plain text and its spans (``ref`` names, ``cites`` sources)."""
    out, spans, stack = [], [], []
    i = 0
    while i < len(body):
        match = OPEN.match(body, i)
        if match:
            etype, name, label, cites = match.groups()
            stack.append(
                {
                    "start": sum(map(len, out)),
                    "label": "entity" if etype else LABELS[label],
                    "entity_type": etype,
                    "ref": name,
                    "cites": cites,
                    "closer": "]" if etype else "}",
                }
            )
            i = match.end()
            continue
        char = body[i]
        if stack and char == stack[-1]["closer"]:
            span = stack.pop()
            span["end"] = sum(map(len, out))
            spans.append(span)
        elif char in "[]{}":
            raise ValueError(f"unbalanced {char!r} near {body[max(0, i - 40) : i]!r}")
        else:
            out.append(char)
        i += 1
    if stack:
        raise ValueError(f"unclosed mark opened at {stack[-1]['start']}")
    return "".join(out), spans


def build(path: Path, first_article_id: int = 1) -> list[dict]:
    records, article_id, span_id = [], first_article_id, 1
    chunks = re.split(r"^(?==== )", path.read_text(encoding="utf-8"), flags=re.M)
    for chunk in chunks:
        if not chunk.startswith("=== "):
            continue
        header, _, body = chunk.partition("\n")
        match = HEADER.match(header)
        if not match:
            raise ValueError(f"{path.name}: bad header {header!r}")
        language, spacing, title = match.groups()
        body = unicodedata.normalize("NFC", body.strip())
        if spacing:
            body = _french_spacing(body, SPACES[spacing])
        text, spans = parse_article(body)
        leading = len(text) - len(text.lstrip())
        text = text.strip()
        spans.sort(key=lambda s: (s["start"], -s["end"]))
        ids = {}
        for span in spans:
            span["start"] -= leading
            span["end"] -= leading
            span["id"] = span_id
            span_id += 1
            if span["ref"]:
                ids[span["ref"]] = span["id"]
        out_spans = []
        for span in spans:
            value = text[span["start"] : span["end"]]
            if not value or value != value.strip():
                raise ValueError(
                    f"{path.name} {title!r}: span {value!r} is not trimmed"
                )
            if span["cites"] and span["cites"] not in ids:
                raise ValueError(f"{path.name} {title!r}: unknown @{span['cites']}")
            out_spans.append(
                {
                    "id": span["id"],
                    "start": span["start"],
                    "end": span["end"],
                    "label": span["label"],
                    "text": value,
                    "source_span": ids.get(span["cites"]),
                    "entity_type": span["entity_type"],
                    "status": "approved",
                }
            )
        records.append(
            {
                "article_id": article_id,
                "title": title,
                "language": language,
                "source_url": "",
                "text": text,
                "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "spans": out_spans,
            }
        )
        article_id += 1
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main(argv: list[str]) -> int:
    stale = []
    for source in sorted(HERE.glob("*.gold.txt")):
        target = source.with_name(source.name.replace(".gold.txt", ".jsonl"))
        content = render(build(source))
        if "--check" in argv:
            if not target.exists() or target.read_text(encoding="utf-8") != content:
                stale.append(target.name)
        else:
            target.write_text(content, encoding="utf-8")
            print(f"{target.name}: {content.count(chr(10))} articles")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
