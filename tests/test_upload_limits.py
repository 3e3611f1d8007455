"""Upload limits: decompression bombs and the file size (annotations.archives)."""

import io
import struct
import tracemalloc
import zipfile
import zlib

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.models import Article

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/articles/"
PAGE_URL = reverse("annotations:article_new")
MB = 1024 * 1024


def docx_with(document_xml: bytes | None = None, *, extra=0) -> bytes:
    """Return a real .docx, its text part replaced by ``document_xml`` if given."""
    document = docx.Document()
    document.add_paragraph("Le conseil municipal a voté le budget mardi soir.")
    original = io.BytesIO()
    document.save(original)
    source = zipfile.ZipFile(original)
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "word/document.xml" and document_xml is not None:
                data = document_xml
            target.writestr(member.filename, data, compresslevel=9)
        for index in range(extra):
            target.writestr(f"customXml/extra{index}.xml", b"<x/>")
    return rebuilt.getvalue()


def bomb(unpacked: int) -> bytes:
    """Return a .docx whose text part inflates to about ``unpacked`` bytes."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
        b'2006/main"><w:body><w:p><w:r><w:t>'
    )
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    return docx_with(head + b"a" * unpacked + tail)


def lying_bomb(unpacked: int, declared: int = 1000) -> bytes:
    """Return a .docx whose text part inflates to ``unpacked`` bytes while its
    directory declares ``declared`` (with the checksum of that many bytes).
    """
    data = bytearray(docx_with(b"\0" * unpacked))
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        name = bytes(data[entry + 46 : entry + 46 + name_length])
        if name == b"word/document.xml":
            struct.pack_into("<L", data, entry + 16, zlib.crc32(b"\0" * declared))
            struct.pack_into("<L", data, entry + 24, declared)
            return bytes(data)
        entry = data.find(b"PK\x01\x02", entry + 4)
    raise AssertionError("no text part")


def words(text: str) -> str:
    # File sizes keep their number and unit together with a no-break space.
    return text.replace("\xa0", " ")


def api_upload(api, user, data, name="story.docx"):
    api.force_authenticate(user)
    upload = SimpleUploadedFile(name, data)
    return api.post(API_URL, {"file": upload}, format="multipart")


def test_it_still_reads_an_ordinary_docx(api, alice):
    response = api_upload(api, alice, docx_with())
    assert response.status_code == 201, response.json()
    assert Article.objects.get().text.startswith("Le conseil municipal")


def test_it_refuses_a_docx_that_unpacks_past_the_limit(api, alice):
    response = api_upload(api, alice, bomb(25 * MB))
    assert response.status_code == 400
    error = response.json()["error"]
    message = words(" ".join(error["fields"]["file"]))
    assert "This file unpacks to 25.8 MB" in message
    assert "the largest accepted once unpacked is 20.0 MB (20,971,520 bytes)" in message
    assert not Article.objects.exists()


def test_it_takes_the_unpacked_limit_from_the_settings(api, alice, settings):
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 100_000
    response = api_upload(api, alice, bomb(200_000))
    assert response.status_code == 400
    assert "(100,000 bytes)" in response.json()["error"]["message"]
    assert not Article.objects.exists()


def test_it_refuses_a_part_compressed_beyond_the_ratio(api, alice):
    response = api_upload(api, alice, bomb(5 * MB))
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "word/document.xml" in message
    assert "the most accepted is 300 to 1" in message
    assert not Article.objects.exists()


def test_it_refuses_an_archive_of_too_many_parts(api, alice, settings):
    settings.UPLOAD_MAX_ARCHIVE_MEMBERS = 20
    response = api_upload(api, alice, docx_with(extra=10))
    assert response.status_code == 400
    assert "the most accepted is 20" in response.json()["error"]["message"]
    assert not Article.objects.exists()


def test_it_never_inflates_a_part_past_its_declared_size(api, alice):
    # A part that declares 1,000 bytes but inflates to 64 MB: reading it whole
    # (as python-docx does) would hold all 64 MB at once.
    data = lying_bomb(64 * MB)
    tracemalloc.start()
    try:
        response = api_upload(api, alice, data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert "could not be read as a Word document" in response.json()["error"]["message"]
    assert peak < 16 * MB, f"peak {peak / MB:.0f} MB"
    assert not Article.objects.exists()


def test_it_shows_the_limit_on_the_upload_form(client, alice):
    client.force_login(alice)
    upload = SimpleUploadedFile("story.docx", bomb(25 * MB))
    response = client.post(
        PAGE_URL,
        {"title": "Budget", "language": "fr", "text": "", "file": upload},
    )
    assert response.status_code == 200
    page = words(response.content.decode())
    assert "the largest accepted once unpacked is 20.0 MB" in page
    assert not Article.objects.exists()


def test_it_gives_both_file_sizes_exactly(api, alice, settings):
    settings.UPLOAD_MAX_BYTES = 5 * MB
    data = b"a" * (5 * MB + 1)
    response = api_upload(api, alice, data, name="story.txt")
    assert response.status_code == 400
    message = words(response.json()["error"]["message"])
    assert "The file is 5.0 MB (5,242,881 bytes)" in message
    assert "the largest file accepted is 5.0 MB (5,242,880 bytes)" in message
    assert not Article.objects.exists()
