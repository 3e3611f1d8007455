"""Compressed uploads, checked before any parser inflates them.

A ``.docx`` is a zip archive, and a few megabytes of zip can inflate to
gigabytes (a decompression bomb). Every zip-based input goes through
``checked_zip`` first, which refuses an archive over any of three limits
(settings, see README): the total size of its contents once unpacked
(``UPLOAD_MAX_UNCOMPRESSED_BYTES``), its number of members
(``UPLOAD_MAX_ARCHIVE_MEMBERS``) and the compression ratio of any member
(``UPLOAD_MAX_COMPRESSION_RATIO``).

The sizes in an archive's directory are the sender's word. Python's
``zipfile`` stops a member at its declared size, but reading a member whole
inflates all its compressed bytes in one call before cutting the result to
that size, so a member that lies about its size still takes the memory. Hence
the members are inflated here a block at a time, never past their declared
size, and handed on stored (uncompressed) in a new archive: whatever parses
it next never inflates anything.
"""

import io
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

BLOCK = 64 * 1024
# Other methods (bzip2, LZMA) reach far higher ratios, and no word processor
# writes them.
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


def byte_size(size: int) -> str:
    """Return ``size`` in words a person reads, exact: "5.0 MB (5,242,881 bytes)"."""
    return _("%(size)s (%(bytes)s bytes)") % {
        "size": filesizeformat(size),
        "bytes": number_format(size, force_grouping=True),
    }


def checked_zip(data: bytes) -> io.BytesIO:
    """Return the zip archive in ``data`` re-stored uncompressed, once within limits.

    Raise ValidationError naming the limit an archive exceeds (code
    ``archive_limit``), or with code ``unreadable`` for what is not a sound
    zip (damaged, encrypted, or compressed by a method no word processor uses).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _unreadable() from None
    _check_directory(members)
    stored = io.BytesIO()
    try:
        with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as copy:
            for member in members:
                copy.writestr(member.filename, _inflate(archive, member))
    except (
        zipfile.BadZipFile,
        NotImplementedError,
        RuntimeError,
        ValueError,
        EOFError,
        OSError,
    ):
        # A bad checksum or a truncated stream: the archive is damaged.
        raise _unreadable() from None
    stored.seek(0)
    return stored


def _check_directory(members: list[zipfile.ZipInfo]) -> None:
    most = settings.UPLOAD_MAX_ARCHIVE_MEMBERS
    if len(members) > most:
        raise ValidationError(
            _("This file is an archive of %(n)s parts; the most accepted is %(max)s.")
            % {
                "n": number_format(len(members), force_grouping=True),
                "max": number_format(most, force_grouping=True),
            },
            code="archive_limit",
        )
    limit = settings.UPLOAD_MAX_UNCOMPRESSED_BYTES
    total = sum(member.file_size for member in members)
    if total > limit:
        raise ValidationError(
            _(
                "This file unpacks to %(size)s; the largest accepted once unpacked "
                "is %(max)s."
            )
            % {"size": byte_size(total), "max": byte_size(limit)},
            code="archive_limit",
        )
    ratio = settings.UPLOAD_MAX_COMPRESSION_RATIO
    for member in members:
        if member.compress_type not in METHODS:
            raise _unreadable()
        if member.file_size > ratio * max(member.compress_size, 1):
            raise ValidationError(
                _(
                    "The part %(name)s of this file is compressed %(ratio)s to 1; "
                    "the most accepted is %(max)s to 1."
                )
                % {
                    "name": member.filename[:100],
                    "ratio": number_format(
                        member.file_size // max(member.compress_size, 1),
                        force_grouping=True,
                    ),
                    "max": number_format(ratio, force_grouping=True),
                },
                code="archive_limit",
            )


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """Return the member's contents, inflated a block at a time.

    ``zipfile`` ends the member at its declared size and then checks the CRC,
    so at most the size ``_check_directory`` accepted is ever held.
    """
    blocks = []
    with archive.open(member) as stream:
        while block := stream.read(BLOCK):
            blocks.append(block)
    return b"".join(blocks)


def _unreadable() -> ValidationError:
    return ValidationError(
        _("This file is damaged or is not a zip archive."), code="unreadable"
    )
