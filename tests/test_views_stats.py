"""The review dashboard at /stats/: who sees it, figures, the inline SVG chart."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations import charts, services
from annotations.models import AuditEvent, Span

pytestmark = pytest.mark.django_db

URL = reverse("annotations:review_stats")


@pytest.fixture
def decided(alice, bob, rita, labels):
    article = services.article_create(
        user=alice, title="T", text="un deux trois quatre cinq six"
    )
    spans = {}
    for user, slug, (start, end) in [
        (alice, "claim", (0, 2)),
        (alice, "claim", (3, 7)),
        (alice, "quote", (8, 13)),
        (bob, "entity", (14, 20)),
        (bob, "entity", (21, 25)),
    ]:
        spans[(start, end)] = services.span_create(
            user=user, article=article, label=labels[slug], start=start, end=end
        )
    services.span_approve(span=spans[(0, 2)], user=rita, version=1)
    services.span_reject(span=spans[(3, 7)], user=rita, version=1, reason="no")
    services.span_approve(span=spans[(14, 20)], user=rita, version=1)
    Span.objects.filter(pk=spans[(8, 13)].pk).update(
        created_at=timezone.now() - timedelta(days=3, hours=2)
    )
    return spans


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", 200), ("rita", 200), ("ada", 200), ("carl", 403), ("nemo", 403)],
)
def test_it_is_for_editors_reviewers_and_admins(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == status
    if status == 403:
        assert "for editors, reviewers and admins" in response.content.decode()


def test_it_rejects_post(client, rita):
    client.force_login(rita)
    assert client.post(URL).status_code == 405


def test_it_counts_by_label_and_status_with_rates(client, rita, decided):
    client.force_login(rita)
    response = client.get(URL)
    rows = {
        rate.name: (rate.pending, rate.approved, rate.rejected, rate.percent)
        for rate in response.context["by_label"]
    }
    assert rows == {
        "quote": (1, 0, 0, None),
        "claim": (0, 1, 1, 50),
        "entity": (1, 1, 0, 100),
        "opinion": (0, 0, 0, None),
    }
    totals = response.context["totals"]
    assert (totals.pending, totals.approved, totals.rejected, totals.percent) == (
        2,
        2,
        1,
        67,
    )
    content = response.content.decode()
    assert '<span class="label-chip" data-label-slug="claim">Claim</span>' in content
    assert "50%" in content


def test_it_gives_each_annotators_approval_rate(client, rita, decided):
    client.force_login(rita)
    response = client.get(URL)
    rates = {
        rate.name: (rate.approved, rate.rejected, rate.pending, rate.percent)
        for rate in response.context["by_annotator"]
    }
    assert rates == {"alice": (1, 1, 1, 50), "bob": (1, 0, 1, 100)}


def test_it_shows_the_age_of_the_oldest_pending_span(client, rita, decided):
    client.force_login(rita)
    content = client.get(URL).content.decode()
    assert "3\xa0days, 2\xa0hours old" in content


def test_it_draws_decisions_per_day_as_an_svg_bar_chart(client, rita, decided):
    client.force_login(rita)
    content = client.get(URL).content.decode()
    svg = content[content.index("<svg") : content.index("</svg>")]
    assert 'role="img"' in svg
    # One group per day, each with a title readable without colour.
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert len(titles) == 30
    today = timezone.localdate()
    assert titles[-1] == f"{today:%a} {today.day} {today:%b}: 2 approved, 1 rejected"
    assert all(title.endswith("0 approved, 0 rejected") for title in titles[:-1])
    # Labelled axes, a stacked pair of bars for today only, no script.
    assert "Spans decided" in svg and ">Day<" in svg
    assert svg.count('class="approved"') == 1
    assert svg.count('class="rejected-bar"') == 1
    assert "<script" not in content.split("</head>")[1]
    assert "cdn" not in content.lower()


def test_it_renders_with_no_spans_at_all(client, ada):
    client.force_login(ada)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["oldest_pending"] is None
    assert "none" in response.content.decode()


def test_it_keeps_numbers_machine_readable_in_the_chart(client, rita, decided):
    client.force_login(rita)
    with_french = client.get(URL, headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in with_french.content.decode()
    svg = with_french.content.decode().split("<svg")[1]
    assert not re.search(r'(x|y|width|height)="\d+,\d', svg)


def test_it_runs_a_constant_number_of_queries(
    client, rita, decided, django_assert_num_queries
):
    client.force_login(rita)
    # session, user, groups, labels, by label (labels, counts), by annotator,
    # by origin, oldest pending, throughput
    with django_assert_num_queries(10):
        assert client.get(URL).status_code == 200
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=rita,
            actor_username="rita",
            action="approve" if n % 3 else "reject",
            object_type="span",
            object_id=n,
            created_at=now - timedelta(days=n % 30),
        )
        for n in range(300)
    )
    with django_assert_num_queries(10):
        response = client.get(URL)
    assert response.context["chart"]["total_approved"] == 200 + 2


@pytest.mark.parametrize(
    ("peak", "step"), [(0, 1), (3, 1), (4, 1), (5, 2), (9, 5), (40, 10), (41, 20)]
)
def test_it_picks_round_steps_for_the_axis(peak, step):
    assert charts.nice_step(peak) == step


def test_it_scales_the_bars_to_the_highest_day():
    days = [(timezone.localdate() - timedelta(days=n), n, 1) for n in range(30)]
    chart = charts.throughput_chart(days)
    assert [tick["value"] for tick in chart["ticks"]] == [0, 10, 20, 30]
    top = max(chart["bars"], key=lambda bar: bar["approved"] + bar["rejected"])
    assert top["rejected_y"] >= chart["top"]
    assert all(
        bar["approved_height"] + bar["rejected_height"] <= chart["plot_height"] + 0.2
        for bar in chart["bars"]
    )
