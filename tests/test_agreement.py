"""Agreement figures against values worked out by hand.

Krippendorff's α (nominal) for two coders and no missing value, from its
coincidence matrix: each unit (token) with values (x, y) adds one to o[x][y]
and one to o[y][x]; n_c is the number of times value c was given, n = 2 × the
number of tokens, and

    α = 1 − (n − 1) · Σ_{c≠k} o[c][k] / Σ_{c≠k} n_c · n_k.

With d tokens on which the two disagree, Σ_{c≠k} o[c][k] = 2d, and
Σ_{c≠k} n_c · n_k = n² − Σ_c n_c². For a yes/no label that is
α = 1 − (n − 1) · d / (n_yes · n_no).
"""

import pytest

from annotations import agreement, services
from annotations.agreement import Mark

from .factories import ArticleFactory

# Ten tokens: Marie | Curie | dit | : | « | Le | radium | brille | . | »
EXACT_TEXT = "Marie Curie dit : « Le radium brille. »"
# Thirteen tokens: Le | ministre | Jean | Dupont | affirme | que | le |
# chômage | baisse | depuis | un | an | .
OVERLAP_TEXT = "Le ministre Jean Dupont affirme que le chômage baisse depuis un an."


def at(text, words, occurrence=0):
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(words, start + 1)
    return start, start + len(words)


def exact_versions():
    """Both mark the person and the quote alike; B also marks "radium"."""
    person, quote = (
        at(EXACT_TEXT, "Marie Curie"),
        at(EXACT_TEXT, "« Le radium brille. »"),
    )
    a = [
        Mark(1, *person, "entity", "PER"),
        Mark(2, *quote, "quote", None, 1),
    ]
    b = [
        Mark(11, *person, "entity", "PER"),
        Mark(12, *quote, "quote", None, 11),
        Mark(13, *at(EXACT_TEXT, "radium"), "entity", "MISC"),
    ]
    return a, b


def overlap_versions():
    """Same two things, other boundaries: B's entity takes "ministre" in, B's
    claim stops at "baisse"; B types the person ORG."""
    a = [
        Mark(1, *at(OVERLAP_TEXT, "Jean Dupont"), "entity", "PER"),
        Mark(2, *at(OVERLAP_TEXT, "le chômage baisse depuis un an"), "claim", None, 1),
    ]
    b = [
        Mark(11, *at(OVERLAP_TEXT, "ministre Jean Dupont"), "entity", "ORG"),
        Mark(12, *at(OVERLAP_TEXT, "le chômage baisse"), "claim", None, 11),
    ]
    return a, b


def figures(text, a, b, labels):
    return agreement.combine([agreement.compare_article(text, a, b, labels)])


def test_it_tokenizes_words_and_other_characters():
    starts, ends = agreement.token_bounds(EXACT_TEXT)
    tokens = [EXACT_TEXT[s:e] for s, e in zip(starts, ends, strict=True)]
    assert tokens == ["Marie", "Curie", "dit", ":", "«", "Le", "radium", "brille"] + [
        ".",
        "»",
    ]
    starts, ends = agreement.token_bounds("Zoé 🚀 l’équipe")
    assert [("Zoé 🚀 l’équipe")[s:e] for s, e in zip(starts, ends, strict=True)] == [
        "Zoé",
        "🚀",
        "l",
        "’",
        "équipe",
    ]


def test_exact_match_figures_match_the_hand_worked_values():
    a, b = exact_versions()
    result = figures(EXACT_TEXT, a, b, ["entity", "quote"])
    overall = result[agreement.ALL]
    # Spans: A has 2, B has 3; both marked the person and the quote exactly.
    # F1 = 2·2 / (2 + 3) = 0.8, strict and partial alike.
    assert (overall.strict.both, overall.strict.only_a, overall.strict.only_b) == (
        2,
        0,
        1,
    )
    assert overall.strict.f1 == pytest.approx(0.8)
    assert overall.partial.f1 == pytest.approx(0.8)
    # Entities alone: 1 pair, B's "radium" alone: 2·1 / (1 + 2) = 2/3.
    assert result["entity"].strict.f1 == pytest.approx(2 / 3)
    assert result["quote"].strict.f1 == pytest.approx(1.0)
    # α entity: A covers Marie, Curie; B also radium. d = 1, n = 20,
    # n_yes = 2 + 3 = 5, n_no = 15: α = 1 − 19·1 / (5·15) = 56/75.
    assert result["entity"].alpha == pytest.approx(56 / 75)
    assert result["entity"].tokens == 10
    # α quote: the same six tokens (« … ») on both sides: α = 1.
    assert result["quote"].alpha == pytest.approx(1.0)
    # α over the label set: values E E N N Q Q Q Q Q Q (A) and the same but
    # radium = Q+E (B). d = 1; counts E 4, N 4, Q 11, QE 1, n = 20:
    # Σ n_c² = 16 + 16 + 121 + 1 = 154, 400 − 154 = 246;
    # α = 1 − 19·2 / 246 = 104/123.
    assert overall.alpha == pytest.approx(104 / 123)
    # The paired person is PER on both sides: 1 of 1.
    assert (overall.entity_type.agreed, overall.entity_type.units) == (1, 1)
    # Both quotes name the person, and the two persons are a pair: 1 of 1.
    assert (overall.source.agreed, overall.source.units) == (1, 1)
    # One disagreement ("radium"), which overlaps no entity of A: 0 of 1.
    assert (overall.boundary_only.agreed, overall.boundary_only.units) == (0, 1)
    assert overall.boundary_only.value == 0.0


def test_overlapping_spans_figures_match_the_hand_worked_values():
    a, b = overlap_versions()
    result = figures(OVERLAP_TEXT, a, b, ["entity", "claim"])
    overall = result[agreement.ALL]
    # No exact pair: strict F1 = 0, with 2 only-A and 2 only-B.
    assert (overall.strict.both, overall.strict.only_a, overall.strict.only_b) == (
        0,
        2,
        2,
    )
    assert overall.strict.f1 == 0.0
    # Partial: "Jean Dupont" (11) lies wholly in "ministre Jean Dupont" (20),
    # 11 ≥ 11/2; "le chômage baisse" (17) wholly in the longer claim (30),
    # 17 ≥ 17/2. Two pairs: F1 = 2·2 / (2 + 2) = 1.
    assert overall.partial.f1 == 1.0
    assert overall.partial.units == 2
    # α entity: A covers Jean, Dupont; B ministre, Jean, Dupont. d = 1,
    # n = 26, n_yes = 5, n_no = 21: α = 1 − 25·1 / (5·21) = 16/21.
    assert result["entity"].alpha == pytest.approx(16 / 21)
    # α claim: A covers le … an (6 tokens), B le chômage baisse (3). d = 3,
    # n_yes = 9, n_no = 17: α = 1 − 25·3 / (9·17) = 26/51.
    assert result["claim"].alpha == pytest.approx(26 / 51)
    # α over the label set: A = N N E E N N C C C C C C N,
    # B = N E E E N N C C C N N N N; d = 4 (ministre, depuis, un, an).
    # Counts N 5+7 = 12, E 2+3 = 5, C 6+3 = 9; n = 26, Σ n_c² = 144+25+81 = 250,
    # 676 − 250 = 426: α = 1 − 25·8 / 426 = 113/213.
    assert overall.alpha == pytest.approx(113 / 213)
    # PER against ORG: 0 of 1.
    assert (overall.entity_type.agreed, overall.entity_type.units) == (0, 1)
    # Each claim names its side's person, and the persons are a pair: 1 of 1.
    assert (overall.source.agreed, overall.source.units) == (1, 1)
    # All four leftovers overlap a same-label leftover of the other side.
    assert (overall.boundary_only.agreed, overall.boundary_only.units) == (4, 4)


def test_partial_pairs_are_one_to_one_and_closest_first():
    # A's long quote half-covers both of B's; only the closer one pairs.
    a = [Mark(1, 0, 20, "quote")]
    b = [Mark(11, 0, 12, "quote"), Mark(12, 10, 20, "quote")]
    matching = agreement.match(a, b)
    assert [(x.id, y.id) for x, y in matching.partial] == [(1, 11)]
    assert [mark.id for mark in matching.only_b] == [12]
    # Under half of the shorter span: no pair.
    assert (
        agreement.match([Mark(1, 0, 10, "quote")], [Mark(2, 6, 20, "quote")]).partial
        == []
    )
    # Another label never pairs.
    assert (
        agreement.match([Mark(1, 0, 10, "quote")], [Mark(2, 0, 10, "claim")]).pairs
        == []
    )


def test_alpha_is_none_when_every_token_agrees_on_one_value():
    result = figures("Un deux trois.", [], [], ["quote"])
    assert result["quote"].alpha is None
    assert result["quote"].tokens == 4
    assert result["quote"].strict.f1 is None


@pytest.mark.parametrize("values", [2, 3, 9])
def test_alpha_from_counted_pairs_is_the_packages_alpha_over_every_token(values):
    import random

    import krippendorff
    import numpy as np

    rng = random.Random(values)
    a = [rng.randrange(values) for _ in range(500)]
    # B agrees three times in four.
    b = [x if rng.random() < 0.75 else rng.randrange(values) for x in a]
    expected = krippendorff.alpha(
        reliability_data=np.array([a, b], dtype=float), level_of_measurement="nominal"
    )
    assert agreement.alpha_of_pairs(agreement.token_pairs(a, b)) == pytest.approx(
        expected, abs=1e-12
    )


def test_the_same_data_gives_the_same_report():
    a, b = overlap_versions()
    article = agreement.ArticleVersions(1, "t", OVERLAP_TEXT, {"x": a, "y": b})
    first = agreement.build_report([article], ["entity", "claim"]).as_dict()
    again = agreement.build_report([article], ["entity", "claim"]).as_dict()
    assert first == again


# Through the API, as the editors annotate


URL = "/api/v1/agreement/"


def annotate(client, article, text, marks):
    ids = {}
    for mark in marks:
        body = {
            "article": article.pk,
            "label": mark.label,
            "start": mark.start,
            "end": mark.end,
            "entity_type": mark.entity_type,
        }
        if mark.source is not None:
            body["source"] = ids[mark.source]
        response = client.post("/api/v1/spans/", body, format="json")
        assert response.status_code == 201, response.json()
        ids[mark.id] = response.json()["id"]


@pytest.fixture
def double_annotated(as_user, alice, bob, rita):
    """Both hand-worked fixtures annotated blind by alice (A) and bob (B)."""
    articles = []
    for text, versions in (
        (EXACT_TEXT, exact_versions()),
        (OVERLAP_TEXT, overlap_versions()),
    ):
        article = ArticleFactory(uploaded_by=alice, text=text)
        services.article_assign(
            article=article, user=rita, annotators=[alice, bob], blind=True
        )
        annotate(as_user(alice), article, text, versions[0])
        annotate(as_user(bob), article, text, versions[1])
        articles.append(article)
    return articles


def test_the_api_gives_the_hand_worked_figures(as_user, rita, double_annotated):
    exact, overlapping = double_annotated
    response = as_user(rita).get(URL, {"article": exact.pk})
    assert response.status_code == 200, response.json()
    data = response.json()
    [pair] = data["pairs"]
    assert pair["annotators"] == ["alice", "bob"]
    overall = pair["labels"]["all"]
    assert overall["strict"] == {
        "f1": pytest.approx(0.8),
        "both": 2,
        "only_a": 0,
        "only_b": 1,
        "units": 3,
    }
    assert overall["alpha"] == {"value": pytest.approx(104 / 123), "units": 10}
    assert pair["labels"]["entity"]["alpha"]["value"] == pytest.approx(56 / 75)

    data = as_user(rita).get(URL, {"article": overlapping.pk}).json()
    overall = data["pairs"][0]["labels"]["all"]
    assert overall["partial"]["f1"] == 1.0
    assert overall["strict"]["f1"] == 0.0
    assert overall["alpha"]["value"] == pytest.approx(113 / 213)
    assert overall["entity_type"] == {"agreement": 0.0, "agreed": 0, "units": 1}
    assert overall["source"] == {"agreement": 1.0, "agreed": 1, "units": 1}
    assert overall["boundary_only"] == {"share": 1.0, "count": 4, "units": 4}
    assert data["most_disagreement"][0]["url"] == (
        f"/articles/{overlapping.pk}/adjudicate/"
    )


def test_the_api_sums_counts_and_pools_tokens_over_articles(
    as_user, rita, double_annotated
):
    data = as_user(rita).get(URL, {"label": "entity"}).json()
    assert data["labels"] == ["entity"]
    assert data["articles"] == 2
    [pair] = data["pairs"]
    entity = pair["labels"]["entity"]
    # Exact: 1 pair, 1 only B; overlapping: 0 pairs, 1 only A, 1 only B.
    assert entity["strict"] == {
        "f1": pytest.approx(2 / 5),
        "both": 1,
        "only_a": 1,
        "only_b": 2,
        "units": 4,
    }
    # 23 tokens pooled: d = 1 + 1 = 2, n = 46, n_yes = 5 + 5 = 10, n_no = 36:
    # α = 1 − 45·2 / (10·36) = 1 − 90/360 = 0.75.
    assert entity["alpha"] == {"value": pytest.approx(0.75), "units": 23}
    assert set(pair["labels"]) == {"entity", "all"}


def test_the_api_filters_by_annotator(as_user, rita, ada, double_annotated):
    assert as_user(rita).get(URL, {"annotator": "alice"}).json()["articles"] == 2
    assert as_user(rita).get(URL, {"annotator": "ada"}).json()["pairs"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"article": "seven"}, "article"),
        ({"article": "0"}, "article"),
        ({"label": "gossip"}, "label"),
    ],
)
def test_the_api_refuses_bad_filters(as_user, rita, params, field):
    response = as_user(rita).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_only_reviewers_compare_articles_before_adjudication(
    as_user, alice, carl, rita, ada, nemo, double_annotated
):
    assert len(as_user(rita).get(URL).json()["pairs"]) == 1
    assert len(as_user(ada).get(URL).json()["pairs"]) == 1
    # Editors and consumers: adjudicated articles only, so none yet.
    assert as_user(alice).get(URL).json()["pairs"] == []
    assert as_user(carl).get(URL).json()["pairs"] == []
    assert as_user(nemo).get(URL).status_code == 403


def test_the_api_needs_a_login(api):
    assert api.get(URL).status_code == 401


def test_a_reviewer_annotating_blind_does_not_see_that_article(
    as_user, alice, ada, rita
):
    article = ArticleFactory(uploaded_by=alice, text=EXACT_TEXT)
    services.article_assign(
        article=article, user=rita, annotators=[alice, ada], blind=True
    )
    a, b = exact_versions()
    annotate(as_user(alice), article, EXACT_TEXT, a)
    annotate(as_user(ada), article, EXACT_TEXT, b)
    assert as_user(ada).get(URL).json()["pairs"] == []
    assert len(as_user(rita).get(URL).json()["pairs"]) == 1


# The page


def test_the_page_shows_the_matrix_with_units_and_links(
    client, rita, double_annotated, django_assert_max_num_queries
):
    exact, overlapping = double_annotated
    client.force_login(rita)
    response = client.get("/agreement/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "alice · bob" in page
    # Units beside each figure: over both articles, 10 + 13 tokens, and
    # 3 (2 both + 1 only B) + 4 (2 only A + 2 only B) spans compared.
    assert "23 tokens" in page
    assert "7 spans" in page
    assert f"/articles/{overlapping.pk}/adjudicate/" in page
    assert f"/articles/{exact.pk}/adjudicate/" in page


def test_the_page_runs_a_constant_number_of_queries(
    client, as_user, alice, bob, rita, django_assert_num_queries
):
    def add_article():
        article = ArticleFactory(uploaded_by=alice, text=OVERLAP_TEXT)
        services.article_assign(
            article=article, user=rita, annotators=[alice, bob], blind=True
        )
        a, b = overlap_versions()
        annotate(as_user(alice), article, OVERLAP_TEXT, a)
        annotate(as_user(bob), article, OVERLAP_TEXT, b)

    add_article()
    client.force_login(rita)
    client.get("/agreement/")
    # session, user, roles, labels, articles, spans, annotators
    with django_assert_num_queries(7):
        client.get("/agreement/")
    for _ in range(5):
        add_article()
    with django_assert_num_queries(7):
        response = client.get("/agreement/")
    assert "6 articles compared" in response.content.decode()
    # The API (roles cached on the forced user): articles, labels, spans,
    # annotators.
    api = as_user(rita)
    with django_assert_num_queries(4):
        assert api.get("/api/v1/agreement/").json()["articles"] == 6


@pytest.mark.parametrize(("who", "status"), [("nemo", 403), ("carl", 200)])
def test_the_page_needs_a_role(request, client, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/agreement/").status_code == status


def test_the_page_needs_a_login(client):
    response = client.get("/agreement/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_says_which_filter_is_wrong(client, rita):
    client.force_login(rita)
    response = client.get("/agreement/", {"label": "gossip"})
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
