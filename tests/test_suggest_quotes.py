"""Rules of the quote suggester: what is a quote, where it starts and ends, who said it."""

import pytest

from annotations.suggest import suggest_text
from annotations.suggest.quotes import find_regions


def quotes(text, language="fr"):
    found = suggest_text(text, language)
    return [
        (s.text, found[s.source].text if s.source is not None else None, s.origin)
        for s in found
        if s.label == "quote"
    ]


def test_it_reads_a_speech_verb_after_the_quote():
    text = "« Nous tiendrons nos promesses », a déclaré Jeanne Morel jeudi."
    assert quotes(text) == [
        ("Nous tiendrons nos promesses", "Jeanne Morel", "rule:quote-verb-after")
    ]


def test_it_excludes_the_guillemets_and_the_spaces_inside_them():
    for space in (" ", "\u00a0", "\u202f"):
        text = f"«{space}Le chantier sera livré en juin{space}», assure Paul Girard."
        [(quote, _, _)] = quotes(text)
        assert quote == "Le chantier sera livré en juin"


def test_it_resolves_an_inversion_with_a_pronoun_to_the_person_named_before():
    text = (
        "La maire de Villebrune, Claire Dumont, a présenté son budget lundi. "
        "« Nous ne toucherons pas aux impôts locaux », explique-t-elle."
    )
    assert quotes(text) == [
        (
            "Nous ne toucherons pas aux impôts locaux",
            "Claire Dumont",
            "rule:quote-verb-after-pronoun",
        )
    ]


def test_it_reads_an_auxiliary_inversion():
    text = (
        "Le sélectionneur Patrice Berthier a dévoilé sa liste. "
        "« Personne n'a sa place garantie », a-t-il prévenu."
    )
    [(quote, speaker, _)] = quotes(text)
    assert (quote, speaker) == ("Personne n'a sa place garantie", "Patrice Berthier")


def test_it_reads_a_speech_verb_before_a_colon_and_a_pronoun_subject():
    text = (
        "Le procureur Stéphane Morin a requis deux ans de prison. "
        "Il a ajouté : « Les élus ont un devoir d'exemplarité. »"
    )
    [(quote, speaker, origin)] = quotes(text)
    assert quote == "Les élus ont un devoir d'exemplarité."
    assert speaker == "Stéphane Morin"
    assert origin == "rule:quote-verb-before"


@pytest.mark.parametrize(
    "text",
    [
        "« La tendance est nette et elle s'accélère », selon Sophie Rivière.",
        "Selon Sophie Rivière, « la tendance est nette et elle s'accélère ».",
    ],
)
def test_it_attributes_a_quote_with_selon(text):
    [(quote, speaker, origin)] = quotes(text)
    assert quote.lower() == "la tendance est nette et elle s'accélère"
    assert speaker == "Sophie Rivière"
    assert origin == "rule:quote-according"


def test_it_gives_a_continued_quote_the_same_speaker():
    text = (
        "« Nous avons perdu un tiers de nos commandes », a affirmé Pierre Sauvage. "
        "« Sans ce plan, c'est toute l'usine qui serait menacée. »"
    )
    found = quotes(text)
    assert [q[1] for q in found] == ["Pierre Sauvage", "Pierre Sauvage"]
    assert found[1] == (
        "Sans ce plan, c'est toute l'usine qui serait menacée.",
        "Pierre Sauvage",
        "rule:quote-continued",
    )


def test_it_splits_a_quote_around_an_incise():
    text = (
        "Le ministre Mathieu Vasseur a été catégorique. « Il n'y aura pas de "
        "hausse d'impôt, a-t-il assuré. Je tiendrai parole. »"
    )
    found = quotes(text)
    assert [q[0] for q in found] == [
        "Il n'y aura pas de hausse d'impôt",
        "Je tiendrai parole.",
    ]
    assert {q[1] for q in found} == {"Mathieu Vasseur"}
    assert {q[2] for q in found} == {"rule:quote-incise"}


@pytest.mark.parametrize(
    "text",
    [
        "La dirigeante refuse de parler de « superintelligence » dans ses produits.",
        "L'an prochain, la ville veut proposer une « soirée calme », sans musique.",
        "L'élu Thomas Lemaire dénonce une « gestion approximative » du dossier.",
    ],
)
def test_it_refuses_scare_quotes(text):
    assert quotes(text) == []


def test_it_accepts_a_short_answer_with_a_speech_verb_right_after():
    text = "« Jamais », a répondu Olivier Guérin."
    assert quotes(text) == [("Jamais", "Olivier Guérin", "rule:quote-short-answer")]


def test_it_reads_typographic_apostrophes_and_reflexive_verbs():
    text = (
        "« Je n’ai jamais favorisé qui que ce soit », s’est défendu René Lagarde. "
        "« C’est la découverte de la décennie », affirme l’astrophysicienne Élise Vernier."
    )
    assert [q[:2] for q in quotes(text)] == [
        ("Je n’ai jamais favorisé qui que ce soit", "René Lagarde"),
        ("C’est la découverte de la décennie", "Élise Vernier"),
    ]


def test_it_leaves_an_unnamed_speaker_unnamed():
    text = "« On ne lâchera rien », prévient un ouvrier de l'équipe de nuit."
    assert quotes(text) == [("On ne lâchera rien", None, "rule:quote-verb-after")]


def test_it_keeps_offsets_in_code_points_after_emoji_and_accents():
    text = (
        "🚀🇫🇷 Éloïse Ménard, députée de l'Hérault 👩‍💻, était présente. "
        "« Ça change tout pour les élèves », a déclaré Éloïse Ménard."
    )
    found = suggest_text(text, "fr")
    [quote] = [s for s in found if s.label == "quote"]
    assert quote.start == text.index("Ça change")
    assert quote.end == text.index(" »")
    assert text[quote.start : quote.end] == quote.text
    speaker = found[quote.source]
    assert text[speaker.start : speaker.end] == "Éloïse Ménard"
    assert speaker.start == text.rindex("Éloïse Ménard")


def test_it_reads_english_quotes_and_drops_the_comma_inside_them():
    text = (
        '"This is the biggest investment in a generation," said Mayor Margaret '
        'Okafor. "Families should be able to stay here," she added.'
    )
    assert quotes(text, "en") == [
        (
            "This is the biggest investment in a generation",
            "Margaret Okafor",
            "rule:quote-verb-after",
        ),
        (
            "Families should be able to stay here",
            "Margaret Okafor",
            "rule:quote-verb-after-pronoun",
        ),
    ]


def test_it_reads_according_to_and_a_name_before_the_verb_in_english():
    text = (
        "“We expect to run a third of services,” spokeswoman Claire Mason said. "
        "According to Tom Patel, “the whole sector hired too fast”."
    )
    assert [q[:2] for q in quotes(text, "en")] == [
        ("We expect to run a third of services", "Claire Mason"),
        ("the whole sector hired too fast", "Tom Patel"),
    ]


def test_it_pairs_quote_marks_within_a_paragraph_only():
    text = '« Ouvert sans fin\n\nSuite » puis “fermé” et "droit"'
    assert [(text[r.start : r.end]) for r in find_regions(text)] == ["fermé", "droit"]


@pytest.mark.parametrize(
    "incise",
    [
        "a-t-il lancé lors du conseil municipal",
        "a lancé Thomas Lemaire lors du conseil municipal",
        "a-t-il lancé devant les élus, visiblement agacé",
    ],
)
def test_an_incise_followed_by_more_words_still_splits_the_quote(incise):
    text = (
        "L'élu d'opposition Thomas Lemaire a pris la parole. « On nous avait promis "
        f"une mise en service pour l'été, {incise}. Les habitants méritent la "
        "vérité. »"
    )
    found = quotes(text)
    assert [q[0] for q in found] == [
        "On nous avait promis une mise en service pour l'été",
        "Les habitants méritent la vérité.",
    ]
    assert {q[1] for q in found} == {"Thomas Lemaire"}


def test_a_pronoun_after_a_titled_subject_is_that_person_not_the_last_speaker():
    text = (
        "Le ministre de l'Économie, Mathieu Vasseur, a présenté son budget. "
        "« Sans réformes, la dette explosera », a prévenu Hervé Delmas, de la Cour "
        "des comptes. Interrogé sur les impôts, le ministre a été catégorique. "
        "« Il n'y aura pas de hausse, a-t-il assuré. Je tiendrai parole. »"
    )
    found = quotes(text)
    assert found[0][1] == "Hervé Delmas"
    assert [q[1] for q in found[1:]] == ["Mathieu Vasseur", "Mathieu Vasseur"]


def test_a_pronoun_after_an_unnamed_speaker_names_no_one():
    text = (
        "« Nous verrons », a répondu Sylvie Vautrin. Un cheminot syndiqué, qui a "
        "requis l'anonymat, s'inquiète du manque de conducteurs. « Ces trains "
        "resteront sur le papier », prévient-il."
    )
    found = quotes(text)
    assert found[1] == (
        "Ces trains resteront sur le papier",
        None,
        "rule:quote-verb-after-pronoun",
    )


def test_an_apposition_after_pour_names_the_speaker():
    text = (
        "Le ministre Mathieu Vasseur a présenté son budget. Pour la présidente du "
        "groupe écologiste, Aurore Giraud, « ce budget fait payer les communes »."
    )
    assert quotes(text) == [
        ("ce budget fait payer les communes", "Aurore Giraud", "rule:quote-according")
    ]


def test_a_complement_after_the_speaker_does_not_name_the_speaker():
    text = (
        "L'attaquant Samuel Le Roux a ouvert le score. « On a mis de l'intensité, et "
        "ça a payé », a expliqué le buteur au micro de la chaîne Ligue 2 TV."
    )
    [(_, speaker, _)] = quotes(text)
    assert speaker == "Samuel Le Roux"


def test_an_apposition_may_carry_a_courtesy_title():
    text = (
        "« C'est une victoire pour les libertés », a réagi son avocate, Maître Rosa "
        "Ferrer."
    )
    [(_, speaker, _)] = quotes(text)
    assert speaker == "Rosa Ferrer"


def test_a_building_standing_for_a_ministry_is_the_ministry_later():
    text = (
        "Le Quai d'Orsay a rappelé son ambassadeur. « La France ne peut accepter de "
        "telles méthodes », a indiqué le ministère dans un communiqué."
    )
    [(_, speaker, _)] = quotes(text)
    assert speaker == "Quai d'Orsay"


def test_on_after_an_institution_is_that_institution():
    text = (
        "Les renforts arriveront en juin. À Beauvau, on parle d'un « effort sans "
        "précédent pour la ville »."
    )
    [(quote, speaker, _)] = quotes(text)
    assert (quote, speaker) == ("effort sans précédent pour la ville", "Beauvau")


def test_words_of_the_quote_after_an_incise_stay_in_the_quote():
    text = (
        "Le maire Paul Girard a répondu. « Nous écouterons tout le monde, a-t-il "
        "dit, nous ne céderons pas. Jamais. »"
    )
    assert [q[0] for q in quotes(text)] == [
        "Nous écouterons tout le monde",
        "nous ne céderons pas. Jamais.",
    ]
