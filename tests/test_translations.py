"""The French catalogue is complete and compiled, and `make lint` says so.

The first tests read the committed files with Babel (no gettext needed). The
others extract strings with GNU gettext, in a copy of the project: they skip
where gettext is missing unless REQUIRE_GETTEXT=1 (set by CI), where that fails.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from django.utils import translation
from django.utils.translation import gettext

from annotations.management import translations

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_every_french_entry_is_translated_and_compiled():
    problems = translations.compare(ROOT, ROOT)
    assert not problems.untranslated
    assert not problems.broken
    assert not problems.uncompiled


def test_the_compiled_catalogue_is_what_django_reads():
    with translation.override("fr"):
        assert gettext("Review") == "Relire"
        assert gettext("Approve") == "Approuver"
        assert gettext("Reject") == "Rejeter"
        assert gettext("Pending") == "En attente"
        assert gettext("“%(text)s”") == "«\u202f%(text)s\u202f»"


def test_the_catalogue_uses_french_typography():
    catalog = read_po(PO.open("rb"))
    for message in catalog:
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        for string in strings:
            # Outside code samples: no plain space before : ; ? ! or inside « ».
            prose = string.split("<code>")[0]
            for bad in (" :", " ;", " ?", " !", "« ", " »", "'"):
                assert bad not in prose, (message.id, string)


def _gettext_available():
    if shutil.which("xgettext") and shutil.which("msgfmt"):
        return
    reason = "GNU gettext is not installed (apt-get install gettext)"
    if os.environ.get("REQUIRE_GETTEXT") == "1":
        pytest.fail(f"{reason} (REQUIRE_GETTEXT=1, so this fails)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def project(tmp_path):
    """Return a copy of the project, to add strings to without touching ours."""
    _gettext_available()
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", "*.sqlite3", "media", "staticfiles"
        ),
    )
    return copy


def manage(root, *args):
    env = {**os.environ, "DEBUG": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def make_lint(root):
    venv = Path(sys.executable).parent.parent
    stamps = [f"{venv}/.requirements", f"{venv}/.requirements-dev"]
    command = ["make", "lint", f"VENV={venv}"]
    for stamp in stamps:
        # Never reinstall into the environment running these tests.
        command += ["-o", stamp]
    return subprocess.run(
        command,
        cwd=root,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_check_passes_on_the_project_as_committed(project):
    result = manage(project, "check_translations")
    assert result.returncode == 0, result.stderr
    assert "every marked string is translated" in result.stdout


def test_make_lint_fails_on_an_untranslated_template_string(project):
    (project / "templates" / "annotations" / "probe.html").write_text(
        '{% load i18n %}<p>{% translate "A sentence nobody translated" %}</p>\n'
    )
    result = make_lint(project)
    assert result.returncode != 0
    assert "Marked in the code but not in the catalogue" in result.stderr
    assert "'A sentence nobody translated'" in result.stderr


def test_the_check_fails_on_an_untranslated_python_or_javascript_string(project):
    views = project / "annotations" / "views.py"
    views.write_text(
        views.read_text() + '\n\nPROBE = _("Python words nobody translated")\n'
    )
    (project / "static" / "annotations" / "probe.js").write_text(
        'const probe = gettext("Script words nobody translated");\n'
    )
    result = manage(project, "check_translations")
    assert result.returncode != 0
    assert "'Python words nobody translated'" in result.stderr
    assert "djangojs.po: does not exist" in result.stderr


def test_the_check_fails_on_a_po_newer_than_its_mo(project):
    po = project / PO.relative_to(ROOT)
    text = po.read_text()
    po.write_text(text.replace('msgstr "Relire"', 'msgstr "Réviser"', 1))
    result = manage(project, "check_translations")
    assert result.returncode != 0
    assert "Not compiled from the .po as it stands" in result.stderr
    # Timestamps play no part: the .mo is older or newer, the answer is the same.
    os.utime(po, (1, 1))
    assert manage(project, "check_translations").returncode != 0


def test_update_then_translate_makes_the_check_pass_again(project):
    template = project / "templates" / "annotations" / "probe.html"
    template.write_text('{% load i18n %}{% translate "Fresh words" %}\n')
    assert manage(project, "update_translations").returncode == 0
    result = manage(project, "check_translations")
    assert result.returncode != 0
    assert "Without a translation (empty or fuzzy)" in result.stderr
    po = project / PO.relative_to(ROOT)
    catalog = read_po(po.open("rb"))
    catalog["Fresh words"].string = "Mots nouveaux"
    with po.open("wb") as file:
        write_po(file, catalog)
    assert manage(project, "update_translations").returncode == 0
    result = manage(project, "check_translations")
    assert result.returncode == 0, result.stderr


def test_a_translation_with_a_wrong_placeholder_is_refused(project):
    po = project / PO.relative_to(ROOT)
    catalog = read_po(po.open("rb"))
    catalog["uploaded by %(name)s"].string = "importé par %(nom)s"
    with po.open("wb") as file:
        write_po(file, catalog)
    result = manage(project, "check_translations")
    assert result.returncode != 0
    assert "Placeholders differ from the English" in result.stderr
