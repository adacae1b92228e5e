"""Counts in UI strings take the right plural form in Finnish, Swedish and English: "1 arvio", "2 arviota".

Two checks. A lint over every template of content/ui/*.yaml: each placeholder is known to be a count or
not, and a count is either inside a plural construct ({n:plural:one=# arvio|other=# arviota}) or stands
where no word agrees with it (a fraction "3/8", a label's value "odottaa 3", "(nyt 2)", "enintään 2.").
And renderings of key strings with 1 and 2, against hand-written text.
"""

from __future__ import annotations

import dataclasses
import string
from decimal import Decimal

import pytest

from bot.core import plurals
from bot.core.instrument import LANGUAGES, Instrument

# Placeholders that carry a number of things (people, answers, messages …)
COUNTS = {
    "answered", "answers", "attempts", "conversations", "count", "days", "deepened", "done", "failed", "finished",
    "invited", "length", "levels", "limit", "members", "memberships", "min_scores", "min_texts", "minimum",
    "months", "needed", "pending", "raters", "rated", "retrying", "rows", "scores", "selected", "sent",
    "people", "replies", "started", "texts", "total", "votes", "waiting", "writers",
}
# Placeholders that are counts only in some strings (elsewhere a date or a list of names)
COUNTS_IN = {"points": {"cli.content_ok"}, "part1": {"digest.participation", "rounds.status_line"},
             "part2": {"digest.participation", "rounds.status_line"}}
NOT_COUNTS = {
    "answer", "bar", "cant_say", "closed", "code", "command", "configured", "dates", "deadline", "decision",
    "descriptors", "develop", "directory", "failed_at", "forms", "id", "known", "label", "languages",
    "last_working_day", "laws", "link", "mean", "message", "name", "number", "opened", "outcome", "part", "path",
    "person", "point", "previous", "problems", "promise", "question", "rating", "ratings", "reason", "recipient",
    "revision", "role", "round", "skip", "status", "suggestion", "targets", "team", "teams", "text", "title", "trend",
    "until", "user", "version", "window_end", "works", *COUNTS_IN,
}


def is_count(key: str, name: str) -> bool:
    return name in COUNTS or key in COUNTS_IN.get(name, set())


def fields(template: str) -> list[tuple[str, str, str, str]]:
    """(text before, field name, format spec, text after) of every replacement field."""
    parsed = list(string.Formatter().parse(template))
    found = []
    for index, (before, name, spec, _) in enumerate(parsed):
        if name is None:
            continue
        after = parsed[index + 1][0] if index + 1 < len(parsed) else ""
        next_field = index + 1 < len(parsed) and not after and parsed[index + 1][1] is not None
        found.append((before, name, spec or "", "{" if next_field else after))
    return found


def catalogue(instrument: Instrument) -> list[tuple[str, str, str]]:
    return [(language, key, template) for language in LANGUAGES for key, template in instrument.ui[language].items()]


def test_every_placeholder_is_known_to_be_a_count_or_not(instrument: Instrument) -> None:
    unknown = {(key, name) for _, key, template in catalogue(instrument) for _, name, _, _ in fields(template)
               if name not in COUNTS | NOT_COUNTS}
    assert not unknown, f"new placeholders: add them to COUNTS or NOT_COUNTS in this test: {sorted(unknown)}"


def test_every_count_is_in_a_plural_construct_or_agrees_with_no_word(instrument: Instrument) -> None:
    wrong = []
    for language, key, template in catalogue(instrument):
        for before, name, spec, after in fields(template):
            if plurals.is_plural(spec):
                forms = plurals.parse_forms(spec)
                if set(forms) != {"one", "other"} or not all(plurals.NUMBER_MARK in form for form in forms.values()):
                    wrong.append(f"{language} {key}: {{{name}:{spec}}} needs one= and other=, each with #")
                if not is_count(key, name):
                    wrong.append(f"{language} {key}: {name} is not a count")
                continue
            if not is_count(key, name):
                continue
            fraction = before.endswith("/") or after.startswith("/")
            follows = after.lstrip()[:1]
            if not fraction and (follows.isalnum() or follows == "{"):
                wrong.append(f"{language} {key}: {{{name}}} is followed by {after.strip()[:20]!r}")
    assert not wrong, "counts without a plural form:\n" + "\n".join(wrong)


def test_no_count_placeholder_stands_before_a_word(instrument: Instrument) -> None:
    """The lint itself: it would catch the strings as they were ("1 arviota", "1 votes")."""
    bad = "{title}: tarvitaan vielä {needed} arviota"
    assert any(name == "needed" and after.lstrip()[:1].isalpha() for _, name, _, after in fields(bad))


ONE_AND_TWO = [
    ("fi", "digest.score_hidden", {"title": "Näytöt"}, "needed",
     "Näytöt: tarvitaan vielä 1 arvio", "Näytöt: tarvitaan vielä 2 arviota"),
    ("sv", "digest.score_hidden", {"title": "Prov"}, "needed",
     "Prov: ytterligare 1 bedömning behövs", "Prov: ytterligare 2 bedömningar behövs"),
    ("en", "digest.score_hidden", {"title": "Tests"}, "needed",
     "Tests: 1 more rating needed", "Tests: 2 more ratings needed"),
    ("fi", "digest.priority", {"title": "Palaute"}, "votes", "Palaute: 1 ääni", "Palaute: 2 ääntä"),
    ("sv", "digest.priority", {"title": "Respons"}, "votes", "Respons: 1 röst", "Respons: 2 röster"),
    ("en", "digest.priority", {"title": "Feedback"}, "votes", "Feedback: 1 vote", "Feedback: 2 votes"),
    ("fi", "workbook.score", {"mean": "4,0"}, "raters", "Arvio: 4,0 / 5 (1 arvio)", "Arvio: 4,0 / 5 (2 arviota)"),
    ("sv", "workbook.score", {"mean": "4,0"}, "raters",
     "Bedömning: 4,0 / 5 (1 bedömning)", "Bedömning: 4,0 / 5 (2 bedömningar)"),
    ("en", "workbook.score", {"mean": "4.0"}, "raters", "Rating: 4.0 / 5 (1 rating)", "Rating: 4.0 / 5 (2 ratings)"),
    ("fi", "digest.more", {}, "count", "… ja 1 muu vastaus (kaikki löytyvät kierroksen raportista)",
     "… ja 2 muuta vastausta (kaikki löytyvät kierroksen raportista)"),
    ("sv", "digest.more", {}, "count", "… och 1 annat svar (alla finns i omgångens rapport)",
     "… och 2 andra svar (alla finns i omgångens rapport)"),
    ("en", "digest.more", {}, "count", "… and 1 more answer (all of them are in the round's report)",
     "… and 2 more answers (all of them are in the round's report)"),
    ("fi", "workbook.texts_hidden", {}, "minimum", "Vastaukset näytetään, kun vähintään 1 vastaaja on vastannut.",
     "Vastaukset näytetään, kun vähintään 2 vastaajaa on vastannut."),
    ("sv", "workbook.texts_hidden", {}, "minimum", "Svaren visas när minst 1 person har svarat.",
     "Svaren visas när minst 2 personer har svarat."),
    ("en", "workbook.texts_hidden", {}, "minimum", "The answers are shown once at least 1 person has answered.",
     "The answers are shown once at least 2 people have answered."),
    ("fi", "priorities.too_few", {"selected": 0}, "count", "Valitse tasan 1 kohta (nyt valittuna 0).",
     "Valitse tasan 2 kohtaa (nyt valittuna 0)."),
    ("sv", "priorities.too_few", {"selected": 0}, "count", "Välj exakt 1 punkt (nu valda: 0).",
     "Välj exakt 2 punkter (nu valda: 0)."),
    ("en", "priorities.too_few", {"selected": 0}, "count", "Choose exactly 1 point (chosen now: 0).",
     "Choose exactly 2 points (chosen now: 0)."),
    ("fi", "rounds.tick", {"pending": 0}, "sent", "Ajastus ajettu: 1 viesti lähetetty, 0 odottaa.",
     "Ajastus ajettu: 2 viestiä lähetetty, 0 odottaa."),
    ("sv", "rounds.tick", {"pending": 0}, "sent", "Schemaläggningen kördes: 1 meddelande skickat, 0 väntar.",
     "Schemaläggningen kördes: 2 meddelanden skickade, 0 väntar."),
    ("en", "rounds.tick", {"pending": 0}, "sent", "The scheduler ran: 1 message sent, 0 waiting.",
     "The scheduler ran: 2 messages sent, 0 waiting."),
    ("fi", "cli.export_written", {"path": "a.csv"}, "rows", "Vienti kirjoitettiin tiedostoon a.csv: 1 vastaus.",
     "Vienti kirjoitettiin tiedostoon a.csv: 2 vastausta."),
    ("en", "cli.export_written", {"path": "a.csv"}, "rows", "The export was written to a.csv: 1 answer.",
     "The export was written to a.csv: 2 answers."),
]


@pytest.mark.parametrize(("language", "key", "values", "count", "one", "two"), ONE_AND_TWO,
                         ids=[f"{row[0]}-{row[1]}" for row in ONE_AND_TWO])
def test_one_and_two(instrument: Instrument, language: str, key: str, values: dict[str, object], count: str,
                     one: str, two: str) -> None:
    assert instrument.text(language, key, **values, **{count: 1}) == one
    assert instrument.text(language, key, **values, **{count: 2}) == two
    assert instrument.text(language, key, **values, **{count: 5}) == two.replace("2", "5", 1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_construct_renders_both_forms(instrument: Instrument, language: str) -> None:
    """1 and 5 in every count of every string: "#" becomes the number, no braces or spec text are left over."""
    for key, template in instrument.ui[language].items():
        names = {name for _, name, _, _ in fields(template)}
        if not any(plurals.is_plural(spec) for _, _, spec, _ in fields(template)):
            continue
        for n in (1, 5):
            shown = instrument.text(language, key, **{name: n for name in names})
            assert "plural:" not in shown and "one=" not in shown and "#" not in shown, (key, shown)


def test_the_content_check_still_sees_one_placeholder_per_construct() -> None:
    template = "{count:plural:one=# arvio|other=# arviota} ({writers})"
    assert {name for _, name, _, _ in string.Formatter().parse(template) if name} == {"count", "writers"}


def test_the_construct_syntax() -> None:
    spec = "plural:one=# arvio|other=# arviota"
    assert plurals.parse_forms(spec) == {"one": "# arvio", "other": "# arviota"}
    assert plurals.render("{n:" + spec + "}", "fi", {"n": 1}) == "1 arvio"
    assert plurals.render("{n:" + spec + "}", "fi", {"n": 0}) == "0 arviota"
    assert plurals.render("{n:plural:other=# votes}", "en", {"n": 1}) == "1 votes", "a missing form falls back"
    assert plurals.render("{n:" + spec + "} {m:.1f}", "xx", {"n": 1, "m": 2}) == "1 arvio 2.0", "unknown → Finnish"
    assert plurals.render("{{n}} {n!s:plural:one=# kpl|other=# kpl}", "sv", {"n": "3"}) == "{n} 3 kpl"
    for spec_text in ("arvio", "plural:one=a", "plural:one|other=b", "plural:single=a|other=b",
                      "plural:one=a|one=b|other=c"):
        with pytest.raises(plurals.PluralSyntaxError):
            plurals.parse_forms(spec_text)


@pytest.mark.parametrize(("value", "expected"), [
    (1, "one"), (2, "other"), (0, "other"), ("1", "one"), (" 21 ", "other"), (Decimal(1), "one"),
    (1.0, "other"), (1.5, "other"), ("kolme", "other"), (True, "other"),
])
def test_categories(value: object, expected: str) -> None:
    """CLDR: "one" is the integer 1 (a decimal 1.0 is "other" as in "1.0 points"); a non-number is "other"."""
    assert plurals.category("fi", value) == expected


def test_a_missing_translation_is_rendered_by_finnish_rules(instrument: Instrument) -> None:
    ui = {language: dict(strings) for language, strings in instrument.ui.items()}
    del ui["sv"]["digest.priority"]
    partial = dataclasses.replace(instrument, ui=ui)
    assert partial.text("sv", "digest.priority", title="X", votes=1) == "X: 1 ääni"
    assert partial.text("sv", "digest.priorities_heading") == instrument.text("sv", "digest.priorities_heading")
