"""A conversation a busy teacher enjoys: few navigation inputs, phone-sized part 2 questions."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.terminal.outbound import render
from bot.core.conversation import Conversation, RoundRef
from bot.core.engine import step
from bot.core.events import CommandReceived
from bot.core.identity import UserRef
from bot.core.instrument import LANGUAGES, Instrument, pick
from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt
from bot.core.prompts import Prompter
from tests.support.conversation import Chat

MAX_QUESTION_MESSAGE = 600  # characters, as the terminal renders one part 2 question


def take_the_whole_assessment(chat: Chat) -> list[str]:
    """Part 1, the two chosen points, the partnership section and the summary, typed as in the terminal.

    Returns the navigation inputs: those that answer no question (continue or break, a menu pick that
    only moves on, /jatka)."""
    navigation: list[str] = []
    chat.send("/start")
    for _ in range(60):
        if "Kartoitus on valmis" in chat.text:
            return navigation
        prompt = chat.prompt
        if isinstance(prompt, FreeTextPrompt):
            chat.send("Vastaus.")
        elif isinstance(prompt, MultiChoicePrompt):
            chat.send("3 7")  # the two development targets: an answer
        else:
            values = [option.value for option in prompt.options]
            if "4" in values:
                chat.send("4")  # a part 1 rating: an answer
            elif "forward" in values:
                navigation.append("hub: move on")
                chat.send("0")
            elif "yes" in values:
                navigation.append("partnership: yes")
                chat.send("1")
            else:
                assert "continue" in values, prompt
                navigation.append("continue")
                chat.send("1")
    raise AssertionError("the assessment did not end")


def test_a_whole_assessment_takes_at_most_two_navigation_inputs(chat: Chat) -> None:
    # Before this change: 7 navigation inputs (continue after 5 ratings, after part 1, after each of the two
    # points and after the partnership section; the hub's "move on"; "yes" to the partnership section).
    # After: 2 (the hub's "move on" and "yes" to the partnership section).
    navigation = take_the_whole_assessment(chat)
    print(navigation)
    assert len(navigation) <= 2, navigation


def person(instrument: Instrument, language: str, **state: object) -> Conversation:
    ratings = {f"rate:{point.id}": "4" for point in instrument.points}
    return Conversation(user=UserRef("terminal", "local", "anna"), round=RoundRef(1, instrument.version),
                        started=True, language=language, prompt_seq=7,
                        answers=state.pop("answers", ratings), **state)  # type: ignore[arg-type]


def test_every_part2_question_fits_a_phone_screen(instrument: Instrument) -> None:
    longest = {"before": 1727, "after": 0}  # characters (en, point 2's first question) before this change
    for language in LANGUAGES:
        prompter = Prompter(person(instrument, language), instrument)
        titles = sorted((prompter.point_title(p) for p in instrument.point_ids), key=len)[-2:]
        notes = (None, prompter.t("break.part1_done", points=", ".join(titles)),
                 prompter.t("break.point_done", done=1, total=2), prompter.t("break.section_done"))
        for point in instrument.points:
            for kind in ("works", "develop", "promise"):
                for note in notes:
                    message = render(prompter.prompt(f"{kind}:{point.id}", note), instrument)
                    longest["after"] = max(longest["after"], len(message))
                    assert len(message) <= MAX_QUESTION_MESSAGE, f"{language} {kind}:{point.id}\n{message}"
    assert longest["after"] < longest["before"]


def test_the_guiding_questions_are_behind_a_button_and_the_laws_stay_on_the_first_question(
        chat: Chat, instrument: Instrument) -> None:
    for language in LANGUAGES:
        prompter = Prompter(person(instrument, language), instrument)
        for point in instrument.points:
            shown = render(prompter.prompt(f"works:{point.id}"), instrument)
            guide = render(prompter.deepening(f"works:{point.id}", with_guide=True), instrument)
            heading = prompter.t("part2.guide_heading", number=point.number, title=prompter.point_title(point.id))
            assert heading not in shown and heading in guide
            assert all(pick(item.question, language) in guide for item in point.guide)
            for law in point.laws:
                assert law[language] in shown and law[language] in guide
    chat.send("/start")
    for rating in "43215432":
        chat.send(rating)
    chat.send("2 5")
    (question,) = chat.replies  # the targets' card turned into part 2's first question
    chat.expect("Mikä meillä jo toimii?", "Arviosi: 3 Toimii osittain", "Lait ja säädökset: ",
                "Apukysymykset: /apukysymykset", "Pidä tauko: /tauko").expect_not("Apukysymykset · ")
    chat.press("guide")  # the button: the guiding questions drawn onto the same message, above the question
    (expanded,) = chat.replies
    assert isinstance(expanded, FreeTextPrompt) and expanded.replaces == expanded.prompt_id == question.prompt_id
    chat.expect("Apukysymykset · 2. Opiskelijan valmiudet").expect_not("Apukysymykset: /apukysymykset")
    assert chat.text.index("Apukysymykset · 2.") < chat.text.index("Mikä meillä jo toimii?"), "the question is last"
    chat.send("/kieli sv").send("/stodfragor").expect("Stödfrågor · 2. ", "Din bedömning: 3").send("/language en")
    chat.send("/guide").expect("Guiding questions · 2. ", "Your rating: 3")
    chat.send("/kieli fi").send("x").expect("Missä meillä on vielä kehitettävää?", "Apukysymykset: /apukysymykset")
    chat.expect_not("Apukysymykset · ", "Pidä tauko: /tauko")  # a break is offered where a point begins
    chat.send("y").expect("Mitä lupaatte").expect_not("Apukysymykset")  # the promise has its own content
    chat.send("/apukysymykset").expect("Apukysymykset kuuluvat osan 2 avoimiin kysymyksiin")
    chat.send("/ohita").expect("Kohta on valmis", "Pidä tauko: /tauko")
    chat.press("pause").expect("Tauko")


def test_progress_counts_the_points_the_person_chose(instrument: Instrument) -> None:
    for language, one, two in (("fi", "1/1 valitsemasi kohta.", "1/2 valitsemaasi kohtaa."),
                               ("sv", "1/1 punkt du valde.", "1/2 punkter du valde."),
                               ("en", "1/1 point you chose.", "1/2 points you chose.")):
        prompter = Prompter(person(instrument, language), instrument)
        assert prompter.t("break.point_done", done=1, total=1).endswith(one)
        assert prompter.t("break.point_done", done=1, total=2).endswith(two)


def test_a_question_without_a_rating_and_targets_without_all_ratings(instrument: Instrument) -> None:
    prompter = Prompter(person(instrument, "fi", answers={"rate:tavoitettavuus": "cant_say"}), instrument)
    works = prompter.prompt("works:valmiudet")
    assert isinstance(works, FreeTextPrompt) and not any("Arviosi" in line for line in works.context)
    targets = prompter.prompt("priorities", "ignored: the targets have no place for a note")
    assert isinstance(targets, MultiChoicePrompt)
    assert "Tavoitettavuus ja näkyvyys ? · Opiskelijan valmiudet – · " in targets.text


def test_a_stored_break_offer_goes_straight_to_its_pending_question(instrument: Instrument) -> None:
    """A conversation saved at a break offer (before they were removed) resumes at the question it led to."""
    stored = person(instrument, "fi", step="break", resume_step="works:naytot",
                    answers={"priorities": "ennakkosuunnittelu,naytot"})
    at = datetime(2026, 1, 5, tzinfo=UTC)
    resume = CommandReceived(event_id="e1", user=stored.user, at=at, locale=None, name="resume", raw="/jatka")
    turn = step(stored, resume, instrument=instrument, now=at)
    assert turn.conversation.step == "works:naytot" and not turn.conversation.resume_step
    question = turn.outbox[-1]
    assert isinstance(question, FreeTextPrompt) and question.heading == "Osa 2 · 7. Näyttöjen laatu"
    assert not any(isinstance(m, ChoicePrompt) for m in turn.outbox) and not turn.answers
