"""Language: Finnish first; Swedish and English complete; the platform locale unless chosen."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.conversation import Chat


def test_kieli_switches_and_reasks_in_the_new_language(chat: Chat) -> None:
    chat.send("/start").send("4")
    chat.send("/kieli sv").expect("Språket har bytts till svenska", "Del 1 · 2/8 Studerandes",
                                  "Hur bra fungerar detta hos oss nu?")
    chat.send("3").expect("Dina svar hittills: Tillgänglighet", "Del 1 · 3/8")
    chat.send("/language en").expect("The language is now English", "Part 1 · 3/8")
    chat.send("/sprak suomi").expect("Kieleksi vaihdettiin suomi", "Osa 1 · 3/8")


def test_unknown_language_is_explained(chat: Chat) -> None:
    chat.send("/kieli de").expect("Kieltä ”de” ei ole", "fi (suomi), sv (svenska), en (English)")


def test_language_menu_returns_to_the_question(chat: Chat) -> None:
    chat.send("/kieli").expect("Valitse kieli.", "svenska", "English")
    chat.press("en").expect("The language is now English", "Welcome!", "Part 1 · 1/8")
    chat.send("/start").expect("Welcome back!", "Part 1 · 1/8")
    chat.send("/language").expect("Choose a language.")
    chat.send("svenska").expect("Språket har bytts till svenska", "Del 1 · 1/8")
    chat.send("/sprak").send("/pause").expect("Paus")
    chat.send("/fortsatt").expect("Välkommen tillbaka", "Del 1 · 1/8")


def test_language_commands_while_paused_or_done(chat: Chat) -> None:
    chat.send("/start").send("/tauko").send("/kieli en").expect("The language is now English")
    chat.expect_not("Part 1")
    chat.send("/resume").expect("Part 1 · 1/8")


def test_the_platform_locale_is_followed_unless_a_language_was_chosen(new_chat: Callable[..., Chat]) -> None:
    swede = new_chat(user="sven", locale="sv-FI")
    swede.send("/start").expect("Välkommen!", "Del 1 · 1/8 Tillgänglighet och synlighet")
    english = new_chat(user="emma", locale="en_GB")
    english.send("/start").expect("Welcome!")
    english.send("/kieli fi").expect("Kieleksi vaihdettiin suomi")
    english.send("4").expect("Osa 1 · 2/8")
    other = new_chat(user="ola", locale="nb-NO")
    other.send("/start").expect("Tervetuloa!")


def test_every_language_has_its_commands(chat: Chat) -> None:
    chat.send("/start").send("/paus").expect("Tauko").send("/fortsatt").expect("1/8")
    chat.send("/hjalp").expect("Ohje").send("/svar").expect("Vastauksesi").send("/andra")
    chat.expect("Et ole vielä vastannut")
