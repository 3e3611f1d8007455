"""Claims and opinions: sentences outside quotes, scored by their cues."""

from annotations.suggest import suggest_text


def spans(text, label, language="fr", **kwargs):
    found = suggest_text(text, language, **kwargs)
    return [
        (
            s.text,
            s.score,
            s.cues,
            found[s.source].text if s.source is not None else None,
        )
        for s in found
        if s.label == label
    ]


def test_it_proposes_a_sentence_with_figures_and_a_change_as_a_claim():
    text = (
        "Le chômage a reculé de 0,3 point au troisième trimestre. "
        "Selon l'Insee, le taux de chômage a baissé de 7,4 % à 7,1 % en un an."
    )
    [first, second] = spans(text, "claim")
    assert first[0] == "Le chômage a reculé de 0,3 point au troisième trimestre."
    assert second[0].startswith("Selon l'Insee")
    assert {"percent", "change"} <= set(second[2])
    # More kinds of cue, a higher score.
    assert second[1] > first[1] >= 0.5
    assert second[3] == "Insee"


def test_a_date_alone_does_not_make_a_claim():
    assert spans("Le conseil municipal s'est réuni le 14 février 2026.", "claim") == []


def test_a_quoted_sentence_is_a_quote_not_a_claim():
    text = (
        "« Le déficit a doublé en 2025, à 12 millions d'euros », a déclaré Paul Roux."
    )
    assert spans(text, "claim") == []
    assert [s[0] for s in spans(text, "quote")] == [
        "Le déficit a doublé en 2025, à 12 millions d'euros"
    ]


def test_it_proposes_english_claims():
    text = "Rainfall was 48 percent below the long-term average, the driest spring on record."
    [(sentence, score, cues, _)] = spans(text, "claim", "en")
    assert sentence == text
    assert {"percent", "superlative"} <= set(cues)
    assert score >= 0.5


def test_it_attributes_an_opinion_to_the_subject_of_estimer():
    text = (
        "Le gouverneur François Vidal s'est montré prudent jeudi. "
        "Il estime que la banque centrale pourrait baisser ses taux au printemps."
    )
    [(sentence, score, cues, holder)] = spans(text, "opinion")
    assert sentence.startswith("Il estime que")
    assert holder == "François Vidal"
    assert "attributed" in cues


def test_it_reads_pour_x_and_il_faut_as_an_opinion():
    text = (
        "Pour Annie Bessard, présidente d'une association de riverains, "
        "il faudrait limiter la jauge du festival."
    )
    [(sentence, _, cues, holder)] = spans(text, "opinion")
    assert holder == "Annie Bessard"
    assert {"attributed", "modal"} <= set(cues)


def test_opinions_score_lower_than_quotes():
    text = (
        "« Il faut construire plus de logements sociaux », a déclaré Marie Roux. "
        "Elle estime qu'il faut aussi encadrer les loyers dans les grandes villes."
    )
    [quote] = spans(text, "quote")
    [opinion] = spans(text, "opinion")
    assert opinion[1] < quote[1]


def test_the_minimum_score_of_a_label_hides_what_scores_under_it(settings):
    text = "Le chômage a reculé de 0,3 point au troisième trimestre."
    assert spans(text, "claim")
    settings.SUGGEST_MIN_SCORES = {**settings.SUGGEST_MIN_SCORES, "claim": 0.99}
    assert spans(text, "claim") == []
    assert spans(text, "claim", min_scores={"claim": 0.1})


def test_a_pronoun_holding_an_opinion_may_stand_for_an_organisation():
    text = (
        "L'association Droit au logement Marseille juge la peine trop légère. "
        "Elle estime que l'État doit recenser tous les immeubles insalubres."
    )
    [(_, _, _, holder)] = spans(text, "opinion")
    assert holder == "Droit au logement Marseille"


def test_a_titled_holder_opening_the_sentence_is_the_person_with_that_title():
    text = (
        "Le ministre de l'Éducation nationale, Gilles Perrin, a confirmé la mesure. "
        "Le ministre juge que cette mesure redonnera du sens aux notes."
    )
    [(_, _, _, holder)] = spans(text, "opinion")
    assert holder == "Gilles Perrin"


def test_a_quote_with_its_speaker_put_first_is_no_opinion():
    text = (
        "Pour le président de la commission, Jean Guérin, « cette crise était "
        "prévisible depuis des mois »."
    )
    assert spans(text, "opinion") == []
    text = "Pour la chambre d'agriculture, la mesure arrive « trop tard et trop vite »."
    assert len(spans(text, "opinion")) == 1


def test_scores_ranks_and_counted_words_are_claim_cues():
    text = (
        "Les Bretons se sont imposés 3-1 face aux Normands. "
        "Le club remonte à la 4e place, derrière Vannes. "
        "Trois blessés ont été transportés à l'hôpital."
    )
    cues = [set(s[2]) for s in spans(text, "claim", min_scores={"claim": 0})]
    assert [c & {"score", "rank", "measure"} for c in cues] == [
        {"score"},
        {"rank"},
        {"measure"},
    ]


def test_a_sentence_ends_before_a_quote_that_opens_the_next():
    text = (
        "Le club a perdu 2-1 samedi à domicile. « Il reste douze matchs », "
        "a tempéré l'entraîneur Luc Morin."
    )
    [(sentence, *_)] = spans(text, "claim")
    assert sentence == "Le club a perdu 2-1 samedi à domicile."
