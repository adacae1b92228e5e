"""The digest reads as text: the participation sentence, the legend of the bars, grouped open answers.

Identical and near-identical answers (case, spacing, punctuation at the ends) are one line with a
count, the most frequent first; different statements stay apart; the thresholds count writers as
before grouping, and answers as frequent as each other are still in a shuffled order.
"""

from __future__ import annotations

import pytest

from bot.core.instrument import Instrument
from bot.reports.digest import AnswerGroup, answer_key, build_digest, group_answers
from bot.reports.digest_text import digest_text

POINT = "ennakkosuunnittelu"


def team(works: list[str]) -> list[dict[str, str | None]]:
    return [{"rate:tavoitettavuus": "4", "priorities": f"{POINT},naytot", f"works:{POINT}": text} for text in works]


def digest(instrument: Instrument, works: list[str], **options: object):  # type: ignore[no-untyped-def]
    return build_digest(team="autoala", round_name="Syksy 2026", invited=len(works) + 1, answers=team(works),
                        instrument=instrument, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("first", "second"), [
    ("Yhteinen kalenteri toimii.", "Yhteinen kalenteri toimii."),
    ("Yhteinen kalenteri toimii.", "yhteinen kalenteri toimii"),
    ("Yhteinen kalenteri toimii.", "  YHTEINEN   kalenteri\ntoimii!! "),
    ("Yhteinen kalenteri toimii.", "\"Yhteinen kalenteri toimii\"…"),
    ("Yhteinen kalenteri toimii.", "- Yhteinen kalenteri toimii;"),
    ("Ｔoimii.", "toimii"),  # a full-width letter (NFKC)
])
def test_near_identical_answers_are_one(first: str, second: str) -> None:
    assert answer_key(first) == answer_key(second)


@pytest.mark.parametrize(("first", "second"), [
    ("Yhteinen kalenteri toimii.", "Yhteinen kalenteri ei toimi."),
    ("Yhteinen kalenteri toimii.", "Yhteinen kalenteri toimii?"),  # a question is not the statement
    ("Palaute käsitellään 2 viikossa.", "Palaute käsitellään 3 viikossa."),
    ("Kalenteri toimii", "Kalenteri toimii huonosti"),
    ("Hyvä, ei huono.", "Hyvä ei, huono."),  # punctuation inside is kept
    ("Hinta 5 €", "Hinta 5"),  # symbols are content
    ("+1", "1"),
    ("kalenteri-ohjelma", "kalenteriohjelma"),
])
def test_different_statements_stay_apart(first: str, second: str) -> None:
    assert answer_key(first) != answer_key(second)


def test_an_answer_of_punctuation_only_is_kept_as_it_is() -> None:
    assert answer_key("...") == "..." and answer_key("?") == "?"


def test_groups_count_the_writers_most_frequent_first_in_the_most_common_spelling() -> None:
    values = ["b", "Yhteinen kalenteri toimii", "a", "Yhteinen kalenteri toimii.", "yhteinen kalenteri toimii.",
              "Yhteinen kalenteri toimii.", "A."]
    assert group_answers(values) == (AnswerGroup("Yhteinen kalenteri toimii.", 4), AnswerGroup("a", 2),
                                     AnswerGroup("b", 1))


def test_groups_as_frequent_as_each_other_keep_the_shuffled_order() -> None:
    assert group_answers(["c", "a", "b", "a", "c", "b"]) == (AnswerGroup("c", 2), AnswerGroup("a", 2),
                                                             AnswerGroup("b", 2))
    assert [group.text for group in group_answers(["z", "y", "x"])] == ["z", "y", "x"]


def test_the_digest_groups_identical_answers_with_a_count(instrument: Instrument) -> None:
    works = ["Yhteinen kalenteri toimii."] * 4 + ["yhteinen kalenteri toimii", "Opettajat käyvät työpaikoilla.",
                                                 "Opettajat käyvät työpaikoilla", "HOKS ajoissa"]
    result = digest(instrument, works)
    planning = result.open_answers[0]
    assert [group.count for group in planning.groups[0]] == [5, 2, 1]
    assert planning.groups[0][0] == AnswerGroup("Yhteinen kalenteri toimii.", 5), "the most common spelling"
    assert planning.groups[0][1].text in ("Opettajat käyvät työpaikoilla.", "Opettajat käyvät työpaikoilla")
    assert planning.groups[0][2] == AnswerGroup("HOKS ajoissa", 1)
    assert sorted(planning.works) == sorted(works), "the rows (CSV, JSON) keep every answer"
    _, text = digest_text(result, instrument, "fi")
    assert "• Yhteinen kalenteri toimii. (5)\n" in text
    assert text.count("Yhteinen kalenteri") == 1, "said once, with its count"
    assert "• HOKS ajoissa\n" in text, "an answer written once has no count"
    assert "Samat vastaukset on koottu yhteen: luku suluissa kertoo, moniko kirjoitti saman." in text


def test_different_answers_are_all_shown_without_counts(instrument: Instrument) -> None:
    works = [f"Toimiva tapa {n}" for n in range(1, 6)]
    _, text = digest_text(digest(instrument, works), instrument, "fi")
    assert all(f"• {answer}\n" in text for answer in works)
    assert "(1)" not in text and "koottu yhteen" not in text


def test_the_threshold_counts_writers_not_groups(instrument: Instrument) -> None:
    """Five people wrote the same: five writers, shown as one line; four writing the same stay hidden."""
    shown = digest(instrument, ["Kalenteri toimii."] * 5).open_answers[0]
    assert shown.counts[0] == 5 and shown.groups[0] == (AnswerGroup("Kalenteri toimii.", 5),)
    hidden = digest(instrument, ["Kalenteri toimii."] * 4).open_answers[0]
    assert not hidden.shown and hidden.groups == ((), (), ()) and hidden.works == ()
    _, text = digest_text(digest(instrument, ["Kalenteri toimii."] * 4), instrument, "fi")
    assert "Kalenteri toimii" not in text and "(nyt 4)" in text
    two = digest(instrument, ["Kalenteri toimii."] * 2, min_texts=2, min_scores=2).open_answers[0]
    assert two.groups[0] == (AnswerGroup("Kalenteri toimii.", 2),), "a configured lower threshold, as before"


def test_a_long_list_is_cut_by_groups_and_says_how_many_answers_are_left(instrument: Instrument) -> None:
    works = [f"Tapa {n}" for n in range(8) for _ in range(n + 1)]  # 36 answers, 8 different
    result = digest(instrument, works, shown_at_most=3)
    planning = result.open_answers[0]
    assert [group.text for group in planning.groups[0]] == ["Tapa 7", "Tapa 6", "Tapa 5"]
    assert planning.groups_more[0] == 36 - 8 - 7 - 6
    _, text = digest_text(result, instrument, "fi")
    assert f"… ja {36 - 21} muuta vastausta" in text


def test_ties_are_in_a_different_order_for_different_seeds(instrument: Instrument) -> None:
    works = [f"Tapa {n}" for n in range(6)] * 2
    orders = {tuple(g.text for g in digest(instrument, works, seed=seed).open_answers[0].groups[0])
              for seed in range(20)}
    assert len(orders) > 1, "the order of equally frequent answers must not follow who answered first"


PARTICIPATION = [
    ("fi", 1, "1 kutsutusta 1 on vastannut: 1 on tehnyt osan 1, 1 vastannut osaan 2 ja 1 saanut kartoituksen "
              "valmiiksi."),
    ("fi", 2, "2 kutsutusta 2 on vastannut: 2 on tehnyt osan 1, 2 vastannut osaan 2 ja 2 saanut kartoituksen "
              "valmiiksi."),
    ("sv", 1, "Av 1 inbjuden har 1 svarat: 1 har gjort del 1, 1 har svarat på del 2 och 1 har slutfört "
              "kartläggningen."),
    ("sv", 2, "Av 2 inbjudna har 2 svarat: 2 har gjort del 1, 2 har svarat på del 2 och 2 har slutfört "
              "kartläggningen."),
    ("en", 1, "Of 1 person invited, 1 has answered: 1 has done part 1, 1 has answered part 2 and 1 has finished "
              "the review."),
    ("en", 2, "Of 2 people invited, 2 have answered: 2 have done part 1, 2 have answered part 2 and 2 have "
              "finished the review."),
]


@pytest.mark.parametrize(("language", "n", "expected"), PARTICIPATION)
def test_the_participation_sentence(instrument: Instrument, language: str, n: int, expected: str) -> None:
    assert instrument.text(language, "digest.participation", invited=n, answered=n, part1=n, part2=n,
                           finished=n) == expected


def test_the_participation_sentence_with_different_numbers(instrument: Instrument) -> None:
    values = {"invited": 7, "answered": 5, "part1": 5, "part2": 4, "finished": 1}
    assert instrument.text("fi", "digest.participation", **values) == (
        "7 kutsutusta 5 on vastannut: 5 on tehnyt osan 1, 4 vastannut osaan 2 ja 1 saanut kartoituksen valmiiksi.")
    assert instrument.text("en", "digest.participation", **values) == (
        "Of 7 people invited, 5 have answered: 5 have done part 1, 4 have answered part 2 and 1 has finished the "
        "review.")


@pytest.mark.parametrize(("language", "legend"), [
    ("fi", "Pylväät näyttävät arvioiden 1→5 määrät: vasemmalla ykköset, oikealla vitoset."),
    ("sv", "Staplarna visar antalet bedömningar 1→5: ettor till vänster, femmor till höger."),
    ("en", "The bars show how many gave each rating 1→5: ones on the left, fives on the right."),
])
def test_the_bars_have_a_legend_when_there_are_bars(instrument: Instrument, language: str, legend: str) -> None:
    _, text = digest_text(digest(instrument, ["a", "b", "c"]), instrument, language)
    assert legend in text and text.index(legend) > text.index("▁"), "after the bars it explains"
    _, text = digest_text(digest(instrument, ["a"]), instrument, language)
    assert legend not in text, "no bars (too few ratings), no legend"
