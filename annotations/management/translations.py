"""The translation catalogues: where they are, how they are extracted and checked.

``manage.py update_translations`` and ``manage.py check_translations`` share
these settings, so what the check extracts is exactly what the update writes.
English is the source language: every other language of ``settings.LANGUAGES``
has a catalogue per domain (``django`` for Python and templates, ``djangojs``
for ``static/``) under ``locale/<lang>/LC_MESSAGES/``.
"""

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SOURCE_LANGUAGE = "en"
DOMAINS = ("django", "djangojs")
# Not shipped code: nothing in them is shown to a user.
IGNORED = ("tests", "bench", "docs", "staticfiles", "media", "node_modules")
MAKEMESSAGES_OPTIONS = [
    "--no-obsolete",
    # File names help the translator; line numbers would make every edit of
    # the code a change of the catalogue (and a merge conflict).
    "--add-location=file",
    *(f"--ignore={name}/*" for name in IGNORED),
]


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def catalogue(root: Path, language: str, domain: str, suffix: str = ".po") -> Path:
    return root / "locale" / language / "LC_MESSAGES" / f"{domain}{suffix}"


def makemessages(root: Path) -> None:
    """Extract every marked string under ``root`` into its catalogues.

    Runs ``manage.py`` of ``root`` in a process of its own, so a copy of the
    project writes into its own ``locale/``. Needs GNU gettext (xgettext,
    msgmerge, msguniq, msgattrib).
    """
    for domain in DOMAINS:
        command = [sys.executable, "manage.py", "makemessages", "--domain", domain]
        command += [f"--locale={language}" for language in languages()]
        command += MAKEMESSAGES_OPTIONS
        # Only the settings module is read: no database, no secret needed.
        env = {**os.environ, "DEBUG": "1"}
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)


@dataclass
class Problems:
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    uncompiled: list[str] = field(default_factory=list)

    def __bool__(self):
        return any(vars(self).values())


def _key(message) -> tuple:
    # A plural's id is a tuple in a .po, a list when read from a .mo.
    message_id = message.id
    if isinstance(message_id, list):
        message_id = tuple(message_id)
    return (message.context, message_id)


def _text(message_id) -> str:
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def _strings(message) -> tuple:
    string = message.string
    return tuple(string) if isinstance(string, (tuple, list)) else (string,)


def _read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        return read_po(file)


def compare(committed_root: Path, extracted_root: Path) -> Problems:
    """Compare the committed catalogues with freshly extracted ones.

    Reports strings the code marks but the catalogue lacks (or the reverse),
    entries without a translation or marked fuzzy, translations whose
    placeholders differ from the English, and ``.mo`` files whose content is
    not that of their ``.po``.
    """
    from babel.messages.mofile import read_mo

    problems = Problems()
    for language in languages():
        for domain in DOMAINS:
            po_path = catalogue(committed_root, language, domain)
            fresh_path = catalogue(extracted_root, language, domain)
            name = po_path.relative_to(committed_root)
            fresh = (
                {_key(m): m for m in _read(fresh_path) if m.id}
                if (fresh_path.exists())
                else {}
            )
            if not po_path.exists():
                if fresh:
                    problems.missing.append(f"{name}: does not exist")
                continue
            po = _read(po_path)
            entries = {_key(m): m for m in po if m.id}
            for key in fresh.keys() - entries.keys():
                problems.missing.append(f"{name}: {_text(key[1])!r}")
            for key in entries.keys() - fresh.keys():
                problems.stale.append(f"{name}: {_text(key[1])!r}")
            translated = {}
            for key, message in entries.items():
                if message.fuzzy or not all(_strings(message)):
                    problems.untranslated.append(f"{name}: {_text(message.id)!r}")
                    continue
                errors = message.check(po)
                if errors:
                    problems.broken.append(
                        f"{name}: {_text(message.id)!r}: {errors[0]}"
                    )
                translated[key] = _strings(message)
            mo_path = catalogue(committed_root, language, domain, ".mo")
            compiled = {}
            if mo_path.exists():
                with mo_path.open("rb") as file:
                    compiled = {_key(m): _strings(m) for m in read_mo(file) if m.id}
            if compiled != translated:
                problems.uncompiled.append(str(mo_path.relative_to(committed_root)))
    return problems
