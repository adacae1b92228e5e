"""The team digest against hand-computed fixtures: numbers, thresholds, trends, open answers."""

from __future__ import annotations

import pytest

from bot.core.instrument import Instrument
from bot.reports.digest import build_digest

PEOPLE = [
    {"rate:tavoitettavuus": "4", "rate:valmiudet": "2", "priorities": "ennakkosuunnittelu,naytot",
     "works:ennakkosuunnittelu": "HOKS-keskustelut", "develop:ennakkosuunnittelu": "<!channel> digi"},
    {"rate:tavoitettavuus": "3", "rate:valmiudet": "2", "priorities": "ennakkosuunnittelu,palaute",
     "works:ennakkosuunnittelu": "Aikataulut", "promise:ennakkosuunnittelu": None},
    {"rate:tavoitettavuus": "cant_say", "rate:valmiudet": "5", "priorities": "naytot,ennakkosuunnittelu",
     "works:ennakkosuunnittelu": "Yhteiset palaverit", "plan": "Edetään"},
    {"rate:tavoitettavuus": "5", "priorities": "ennakkosuunnittelu,naytot", "develop:ennakkosuunnittelu": "Ohjaus"},
    {"works:ennakkosuunnittelu": "Työpaikkojen tuntemus"},
]


def digest(instrument: Instrument, people: list[dict[str, str | None]] = PEOPLE, **options: object):  # type: ignore[no-untyped-def]
    return build_digest(team="autoala", round_name="Syksy 2026", invited=6, answers=people, instrument=instrument,
                        **options)  # type: ignore[arg-type]


def test_participation_scores_and_ranking_by_hand(instrument: Instrument) -> None:
    result = digest(instrument)
    assert (result.invited, result.answered, result.part1_done, result.finished) == (6, 5, 4, 1)
    assert result.part2_started == 5, "everyone wrote or skipped something in part 2"
    reach = result.scores[0]
    assert reach.point_id == "tavoitettavuus"
    assert (reach.raters, reach.cant_say, reach.distribution, reach.mean) == (3, 1, (0, 0, 1, 1, 1), 4.0)
    ready = result.scores[1]
    assert (ready.raters, ready.distribution, ready.mean) == (3, (0, 2, 0, 0, 1), 3.0)
    assert all(score.mean is None for score in result.scores[2:]), "nobody rated the other points"
    assert result.priorities == (("ennakkosuunnittelu", 4), ("naytot", 3), ("palaute", 1))


@pytest.mark.parametrize(("minimum", "shown"), [(2, True), (3, True), (4, False), (5, False)])
def test_scores_need_enough_raters(instrument: Instrument, minimum: int, shown: bool) -> None:
    result = digest(instrument, min_scores=minimum)
    assert (result.scores[0].mean is not None) is shown
    if not shown:
        assert result.scores[0].distribution == () and result.scores[0].cant_say == 0
        assert result.scores_needed == minimum - 0, "the points nobody rated need the full number"


@pytest.mark.parametrize(("minimum", "shown", "works_shown", "develop_shown"),
                         [(2, True, True, True), (4, True, True, False), (5, True, False, False),
                          (6, False, False, False)])
def test_open_answers_need_enough_writers(instrument: Instrument, minimum: int, shown: bool, works_shown: bool,
                                          develop_shown: bool) -> None:
    """Five wrote on the point, four on what works, two on what to develop: each list needs its own writers."""
    result = digest(instrument, min_texts=minimum)
    planning = result.open_answers[0]
    assert planning.point_id == "ennakkosuunnittelu" and planning.writers == 5
    assert planning.shown is shown and planning.counts == (4, 2, 0)
    if works_shown:
        assert sorted(planning.works) == ["Aikataulut", "HOKS-keskustelut", "Työpaikkojen tuntemus",
                                          "Yhteiset palaverit"]
    else:
        assert planning.works == ()
    if develop_shown:
        assert sorted(planning.develop) == ["<!channel> digi", "Ohjaus"]
    else:
        assert planning.develop == ()
    assert planning.promise == ()


def test_the_threshold_is_never_below_two(instrument: Instrument) -> None:
    result = digest(instrument, people=PEOPLE[:1], min_scores=1, min_texts=0)
    assert result.min_scores == 2 and result.min_texts == 2
    assert result.scores[0].mean is None and result.priorities == () and result.open_answers == ()


def test_trend_against_the_previous_round(instrument: Instrument) -> None:
    previous = [{"rate:tavoitettavuus": "3"}, {"rate:tavoitettavuus": "4"}, {"rate:tavoitettavuus": "3",
                                                                           "rate:valmiudet": "3"}]
    result = digest(instrument, previous=previous)
    assert (result.scores[0].previous_mean, result.scores[0].trend) == (3.33, "↑")
    assert result.scores[1].previous_mean is None and result.scores[1].trend == "", "one earlier rating is too few"
    flat = digest(instrument, previous=[{"rate:tavoitettavuus": "4"}] * 3)
    assert flat.scores[0].trend == "→"
    lower = digest(instrument, previous=[{"rate:tavoitettavuus": "5"}] * 3)
    assert lower.scores[0].trend == "↓"


def test_open_answers_are_shuffled_not_in_answering_order(instrument: Instrument) -> None:
    orders = {digest(instrument, min_texts=2, seed=seed).open_answers[0].works for seed in range(20)}
    assert len(orders) > 1


def test_long_lists_of_open_answers_are_cut_for_chat(instrument: Instrument) -> None:
    result = digest(instrument, people=PEOPLE * 10, shown_at_most=6)
    planning = result.open_answers[0]
    assert len(planning.works) == 6 and planning.more == (34, 14, 0)


def test_the_chart_is_a_png_of_a_sensible_size_labelled_with_the_points(instrument: Instrument) -> None:
    from io import BytesIO

    import matplotlib.image

    from bot.reports.chart import score_chart

    result = digest(instrument, people=PEOPLE * 2, previous=PEOPLE)
    png = score_chart(result, instrument, "fi")
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < len(png) < 400_000
    height, width, _ = matplotlib.image.imread(BytesIO(png)).shape
    assert (width, height) == (864, 768), "about 7 by 6 inches: readable on a phone"
    assert score_chart(digest(instrument, people=PEOPLE[:1]), instrument, "fi") is None, "nothing to draw"


def test_the_chart_labels_are_the_point_names(instrument: Instrument, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.axes

    from bot.reports.chart import score_chart

    labels: list[str] = []
    original = matplotlib.axes.Axes.set_yticks

    def spy(self: matplotlib.axes.Axes, ticks: object, tick_labels: list[str] | None = None, **kwargs: object
            ) -> object:
        labels.extend(tick_labels or [])
        return original(self, ticks, tick_labels, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(matplotlib.axes.Axes, "set_yticks", spy)
    score_chart(digest(instrument, people=PEOPLE * 2), instrument, "sv")
    assert [label.replace("\n", " ") for label in labels] == [p.title["sv"] for p in instrument.points]


def test_the_text_shows_the_trend_with_its_difference_and_no_names(instrument: Instrument) -> None:
    from bot.reports.digest_text import digest_text

    heading, text = digest_text(digest(instrument, previous=[{"rate:tavoitettavuus": "3"}] * 3, min_texts=2),
                                instrument, "fi")
    assert heading == "Kooste – tiimi: autoala · Syksy 2026"
    assert "Tavoitettavuus ja näkyvyys: 4,0 ↑ +1,0 (edellinen 3,0)" in text and "en osaa sanoa 1" in text
    assert "• <!channel> digi" in text, "plain text here; the platforms escape it"
