import hashlib
import unicodedata

import pytest
from django.core.exceptions import ValidationError

from annotations.text import canonicalize, context_window, decode_utf8, sha256_hex


def test_it_turns_crlf_into_lf():
    assert canonicalize("un\r\ndeux\r\n\r\ntrois") == "un\ndeux\n\ntrois"


def test_it_turns_a_lone_cr_into_lf():
    assert canonicalize("un\rdeux\r\rtrois") == "un\ndeux\n\ntrois"


def test_it_composes_nfd_input_to_nfc():
    decomposed = "Ze\u0301nith cafe\u0301"
    assert len(decomposed) == 13
    result = canonicalize(decomposed)
    assert result == "Zénith café"
    assert len(result) == 11
    assert unicodedata.is_normalized("NFC", result) is True


def test_it_trims_whitespace_at_both_ends_only():
    assert canonicalize("\n\n  \t« Oui »,  dit-il.  \n \n") == "« Oui »,  dit-il."


def test_it_accepts_utf8_bytes_and_drops_a_bom():
    assert canonicalize("\ufeffÉté 🚀".encode()) == "Été 🚀"


def test_it_refuses_latin1_bytes_naming_the_byte():
    with pytest.raises(ValidationError) as excinfo:
        canonicalize("Élodie".encode("latin-1"))
    message = excinfo.value.messages[0]
    assert "not valid UTF-8" in message
    assert "0xc9" in message
    assert "position 0" in message


def test_it_refuses_a_nul_character():
    with pytest.raises(ValidationError) as excinfo:
        canonicalize("abc\x00def")
    assert "U+0000 at position 3" in excinfo.value.messages[0]


def test_it_refuses_an_unpaired_surrogate():
    with pytest.raises(ValidationError) as excinfo:
        canonicalize("ab\ud83dcd")
    assert "U+D83D" in excinfo.value.messages[0]


def test_it_hashes_the_utf8_bytes():
    assert sha256_hex("é") == hashlib.sha256("é".encode()).hexdigest()


def test_it_decodes_plain_utf8():
    assert decode_utf8("« guillemets »".encode()) == "« guillemets »"


def test_it_cuts_a_context_window_in_code_points():
    text = "🚀" * 100 + "MOT" + "é" * 100
    before, span, after = context_window(text, 100, 103, width=80)
    assert (before, span, after) == ("🚀" * 80, "MOT", "é" * 80)
