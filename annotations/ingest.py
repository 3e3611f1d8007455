"""Uploaded files → canonical article text.

The HTML upload form and the REST API both call ``text_from_upload`` so a file
yields the same text whichever way it arrives.
"""

import logging
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .archives import byte_size, checked_zip
from .models import Article
from .text import canonicalize, decode_utf8

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".docx")


def text_from_upload(uploaded_file) -> tuple[str, str]:
    """Return ``(canonical_text, title)`` for an uploaded .txt, .html or .docx.

    ``uploaded_file`` is any file object with ``name`` and ``read()`` (a Django
    ``UploadedFile`` in practice). The title is the one the file carries (a web
    page's title, a Word document's title property), "" when it names none (see
    ``upload_title``). Raise ValidationError with a message the uploader can act
    on.
    """
    name = getattr(uploaded_file, "name", "") or ""
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValidationError(
            _(
                "“%(name)s” is not a supported file type. Upload a .txt (UTF-8), "
                ".html or .docx file, or paste the text instead."
            )
            % {"name": name or _("The file")},
            code="unsupported_type",
        )
    data = _read_limited(uploaded_file)
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    if suffix == ".txt":
        raw, title = decode_utf8(data), ""
    elif suffix == ".docx":
        raw, title = _from_docx(data)
    else:
        raw, title = _from_html(decode_utf8(data))
    text = canonicalize(raw)
    if not text:
        raise ValidationError(
            _("No article text was found in “%(name)s”.") % {"name": name},
            code="empty",
        )
    return text, canonicalize(title).replace("\n", " ")


def upload_title(uploaded_file, title_in_file: str) -> str:
    """Return the title an upload takes when the uploader types none.

    The one the file carries, else the file's name without its extension: the
    form and the API both store an untitled upload under it.
    """
    name = getattr(uploaded_file, "name", "") or ""
    title = title_in_file or PurePath(name).stem.strip()
    return title[: Article._meta.get_field("title").max_length]


def _read_limited(uploaded_file) -> bytes:
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(uploaded_file, "size", None)
    # Read one byte past the limit so a file without a known size is caught too.
    data = b"" if size is not None and size > limit else uploaded_file.read(limit + 1)
    if size is not None and size > limit:
        message = _("The file is %(size)s; the largest file accepted is %(max)s.")
    elif len(data) > limit:
        # Only the first byte past the limit was read: the real size is unknown.
        message = _("The file is larger than %(max)s, the largest file accepted.")
    else:
        return data
    raise ValidationError(
        message % {"size": byte_size(size or 0), "max": byte_size(limit)},
        code="too_large",
    )


def _from_html(html: str) -> tuple[str, str]:
    # Imported here: trafilatura loads a lot and only uploads need it.
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
    )
    if document is None or not (document.text or "").strip():
        raise ValidationError(
            _(
                "No article text could be found in this web page. Copy the article "
                "from the page and paste it as text instead."
            ),
            code="nothing_extracted",
        )
    title = (document.title or "").strip()
    paragraphs = [line.strip() for line in document.text.splitlines() if line.strip()]
    # The page's headline usually opens the body too; the title field holds it.
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    return "\n\n".join(paragraphs), title


def _from_docx(data: bytes) -> tuple[str, str]:
    import docx

    try:
        # Checked and unpacked within the limits before python-docx reads it.
        document = docx.Document(checked_zip(data))
    except ValidationError as error:
        if error.code != "unreadable":
            raise
        raise _unreadable_docx() from None
    except Exception:
        # python-docx raises a different error for each way a file can be broken.
        logging.getLogger(__name__).info("Unreadable .docx upload", exc_info=True)
        raise _unreadable_docx() from None
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    title = (document.core_properties.title or "").strip()
    return "\n\n".join(paragraphs), title


def _unreadable_docx() -> ValidationError:
    return ValidationError(
        _(
            "This file could not be read as a Word document (.docx). Save it "
            "again from your word processor as .docx, or paste the text."
        ),
        code="unreadable",
    )
