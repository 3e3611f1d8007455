"""Page furniture detection (annotations.furniture): pure functions, no database."""

from pathlib import Path

import pytest

from annotations import furniture

SAMPLE = (Path(__file__).parent / "data" / "furniture_fr.txt").read_text("utf-8")
HEADLINE = "La Garonne sort de son lit à Toulouse"
LAST = (
    "Selon Météo-France, la décrue ne commencera pas avant vendredi, et de "
    "nouvelles averses sont attendues sur les Pyrénées d’ici là."
)


def reasons(text):
    return {p.text: p.reason for p in furniture.paragraphs(text)}


def kept_text(text):
    found = furniture.paragraphs(text)
    return furniture.join(text, [p.index for p in found if p.keep])


def test_it_keeps_the_article_from_its_headline_to_its_last_paragraph():
    text = kept_text(SAMPLE)
    assert text.startswith(HEADLINE + "\n\nAprès trois jours")
    assert text.endswith(LAST)
    assert text.count(HEADLINE) == 1
    # The intertitle between two paragraphs is part of the article.
    assert "\n\nDes écoles fermées\n\n" in text
    for furniture_line in ("Down Icon", "Partager", "Lire aussi", "©", "Par Hélène"):
        assert furniture_line not in text


def test_it_says_why_each_line_is_dropped():
    found = reasons(SAMPLE)
    assert found["Sélectionner la langue"] == "menu"
    assert found["Down Icon"] == "menu"
    assert found["Toutes les actualités"] == "menu"
    assert found["Nouvelles similaires"] == "menu"
    assert found["Animated Arrow"] == "menu"
    assert found["• Copier le lien"] == "menu"
    assert found["Lire aussi : Crues de 2022, ce que la ville n’a pas fait"] == "menu"
    assert found["© 2025 Le Courrier des Deux Rives. Tous droits réservés."] == "menu"
    assert found["Politique"] == "short"
    assert found["Le Courrier des Deux Rives"] == "short"
    assert found["Par Hélène Vidal, le 12 mars 2025 à 7 h 40"] == "byline"
    assert found["Publié le 12 mars 2025"] == "byline"
    assert found["Le pont Saint-Pierre rouvre aux piétons"] == "after_article"


def test_it_reports_the_headline_s_second_copy_as_such():
    found = furniture.paragraphs(SAMPLE)
    copies = [p for p in found if p.text == HEADLINE]
    assert [p.reason for p in copies] == ["", "headline_again"]
    assert copies[0].is_headline is True
    assert copies[1].reason_text == "the headline again"


def test_it_suggests_the_headline_as_title_and_the_byline():
    found = furniture.paragraphs(SAMPLE)
    assert furniture.headline(found) == HEADLINE
    assert furniture.byline(found) == "Hélène Vidal"


def test_it_drops_everything_above_the_headline():
    masthead = "Le Petit Journal du Soir, édition de Toulouse et de sa région"
    assert reasons(masthead + "\n" + SAMPLE)[masthead] == "above_headline"


def test_it_drops_short_lines_repeated_anywhere_but_keeps_a_long_one_once():
    pull_quote = (
        "« Nous avons évacué quatre cents personnes dans la nuit, et l’eau monte "
        "encore », a déclaré la préfète Nadia Benali lors d’un point presse à la mairie."
    )
    text = f"{HEADLINE}\n\n{pull_quote}\n\nS’inscrire ici\n\n{pull_quote}\n\nS’inscrire ici"
    found = furniture.paragraphs(text)
    assert [p.reason for p in found] == ["", "", "repeated", "repeated", "repeated"]


def test_it_keeps_short_lines_with_a_verb_or_a_sentence_end():
    text = (
        f"{HEADLINE}\n\n{LAST}\n\nLe maire démissionne\n\nTout est calme.\n\n"
        "Rien de plus.\n\n" + LAST.replace("vendredi", "samedi")
    )
    found = reasons(text)
    assert found["Le maire démissionne"] == ""
    assert found["Tout est calme."] == ""
    assert found["Rien de plus."] == ""


@pytest.mark.parametrize(
    "line",
    [
        "selectionner la LANGUE",
        "  » Down icon ",
        "• Toutes les actualités",
        "Lire aussi | Le pont rouvre",
        "Publicité — Abonnez-vous pour 1 € le premier mois !",
    ],
)
def test_it_matches_menu_words_whatever_the_case_accents_and_bullets(line):
    lists = furniture.word_lists()
    assert furniture._is_menu(line, lists) is True


@pytest.mark.parametrize(
    "line",
    [
        "Lire aussi le rapport de la Cour des comptes, publié hier.",
        "Contacté, le ministère n’a pas répondu.",
        "Par amour de la Garonne, il la traverse à la nage",
    ],
)
def test_it_does_not_take_sentences_for_menus_or_bylines(line):
    text = f"{HEADLINE}\n\n{LAST}\n\n{line}\n\n{LAST.replace('vendredi', 'lundi')}"
    assert reasons(text)[line] == ""


def test_it_keeps_a_headline_with_a_date_but_no_year():
    text = f"12 mars : la Garonne déborde\n\n{LAST}"
    found = furniture.paragraphs(text)
    assert found[0].reason == ""
    assert furniture.headline(found) == "12 mars : la Garonne déborde"


def test_it_leaves_a_clean_text_alone():
    text = f"{HEADLINE}\n\n{LAST}\n\n{LAST.replace('vendredi', 'lundi')}"
    assert kept_text(text) == text


def test_it_keeps_everything_rather_than_nothing():
    text = "Accueil\nMenu\nContact"
    assert [p.keep for p in furniture.paragraphs(text)] == [True, True, True]


def test_it_joins_kept_lines_as_they_were_separated():
    text = "Un\nDeux\n\nTrois\nQuatre\nCinq"
    assert furniture.join(text, [0, 1, 2]) == "Un\nDeux\n\nTrois"
    # A dropped line between two kept ones leaves a paragraph break.
    assert furniture.join(text, [2, 4]) == "Trois\n\nCinq"
    assert furniture.join(text, []) == ""


def test_it_counts_blank_lines_out_of_the_indices():
    found = furniture.paragraphs("Un titre ici\n\n\n  \nDeux mots là")
    assert [(p.index, p.text) for p in found] == [
        (0, "Un titre ici"),
        (1, "Deux mots là"),
    ]


def test_it_reads_the_word_lists_by_section():
    lists = furniture.parse_word_lists(
        "# a comment\n[line]\nDown Icon\n[prefix]\nLire aussi\n©\n[contains]\n"
        "Tous droits réservés\n[verbs]\nEst\n"
    )
    assert lists.lines == {"down icon"}
    assert lists.prefixes == ("lire aussi", "©")
    assert lists.contains == ("tous droits reserves",)
    assert lists.verbs == {"est"}


def test_it_refuses_an_entry_outside_a_section():
    with pytest.raises(ValueError, match="before any"):
        furniture.parse_word_lists("Down Icon\n")
