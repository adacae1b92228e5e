"""The whole assessment as a conversation, typed as in the terminal (numbers and free text)."""

from __future__ import annotations

from bot.core.instrument import Instrument
from storage.memory_store import MemoryStore
from tests.support.conversation import Chat


def rate_all(chat: Chat, ratings: str = "43215432") -> Chat:
    """Part 1 ratings, straight through (no break is offered inside part 1)."""
    for rating in ratings:
        chat.send(rating)
    return chat


def test_a_full_assessment_in_finnish(chat: Chat, store: MemoryStore, instrument: Instrument) -> None:
    chat.send("/start").expect("Tervetuloa", "noin 2 minuuttia", "mikä meillä jo toimii",
                               "Osa 1 · 1/8 Tavoitettavuus ja näkyvyys",
                               "asiakkaan palvelu, kanavat, vastuu asiakkaasta, viestintä ja markkinointi",
                               "Miten hyvin tämä toimii meillä nyt?", "En osaa sanoa")
    chat.send("4").expect("Vastauksesi tähän asti: Tavoitettavuus ja näkyvyys 4", "Osa 1 · 2/8 Opiskelijan valmiudet")
    chat.send("3").send("2").send("En osaa sanoa").send("5")
    chat.expect("Osa 1 · 6/8").expect_not("Jatketaanko", "pidätkö tauon")
    chat.send("4").send("3").send("2").expect("Osa 1 · Kehittämiskohteet", "Valitse 2 kriittistä pistettä",
                                              "Arviosi: Tavoitettavuus ja näkyvyys 4 · Opiskelijan valmiudet 3 · ",
                                              "Työpaikkaohjaus ? · ", "Asiakassuhteen ylläpito 2")
    chat.send("3 7").expect("Osa 1 on valmis", "Yhteinen ennakkosuunnittelu, Näyttöjen laatu",
                            "Osa 2 · 3. Yhteinen ennakkosuunnittelu", "Arviosi: 2 Toimii heikosti",
                            "Mikä meillä jo toimii?", "Apukysymykset: /apukysymykset", "Pidä tauko: /tauko")
    chat.send("/apukysymykset").expect("Apukysymykset · 3. Yhteinen ennakkosuunnittelu",
                                       "Oletteko varanneet aikaa HOKSaukseen?", "Mikä meillä jo toimii?")
    chat.send("HOKS-keskustelut työpaikan kanssa sujuvat.").expect("Missä meillä on vielä kehitettävää?")
    chat.send("Digitaaliset välineet puuttuvat.").expect("Mitä lupaatte tässä asiassa työelämäkumppaneillenne",
                                                         "miten pidätte lupauksenne?")
    chat.send("Varaamme ajan jokaiselle.").expect("Kohta on valmis: 1/2 valitsemaasi kohtaa.",
                                                  "Osa 2 · 7. Näyttöjen laatu", "Arviosi: 3 Toimii osittain")
    chat.expect_not("Jatketaanko")
    chat.send("Arvioijat perehdytetään.").send("Ostettujen näyttöjen laatu.").send("/ohita")
    chat.expect("Kohta on valmis: 2/2 valitsemaasi kohtaa.", "Haluatko syventää vielä jonkin muun",
                "Siirry eteenpäin", "Tavoitettavuus ja näkyvyys", "Pidä tauko")
    chat.send("0").expect("Kumppanuuden tasot", "Haluatko pohtia kumppanuuden neljää tasoa?")
    chat.send("1").expect("Kumppanuuden tasot · 1/4 Arjen kumppanuus",
                          "Miten sinä toteutat ja ylläpidät työelämäyhteistyötä?")
    chat.send("Käyn työpaikoilla.").send("/ohita").send("Strategiassa.").send("Alueverkosto.")
    chat.expect("Osio on valmis", "Vastauksesi", "• Tavoitettavuus ja näkyvyys: 4 Toimii hyvin", "En osaa sanoa",
                "Kehittämiskohteet: Yhteinen ennakkosuunnittelu, Näyttöjen laatu",
                "Mikä toimii: HOKS-keskustelut työpaikan kanssa sujuvat.", "Palvelulupaus: ohitettu",
                "Kirjoita yhteenvetoon se, miten haluatte asioissa edetä.")
    chat.send("Kehitetään HOKS-työkaluja ja näyttöjen arviointia.").expect("Kiitos! Kartoitus on valmis")
    chat.send("vielä jotain").expect("Olet jo vastannut kaikkiin kysymyksiin")

    answers = {row.question: row.value for row in store.export_rows()}
    assert answers["rate:tavoitettavuus"] == "4"
    assert answers["rate:siirtymat"] == "5"
    assert answers["rate:valmiudet"] == "3"
    assert answers["rate:palaute"] == "4"
    assert answers["rate:asiakassuhde"] == "2"
    assert answers["rate:tyopaikkaohjaus"] == "cant_say"
    assert answers["priorities"] == "ennakkosuunnittelu,naytot"
    assert answers["works:ennakkosuunnittelu"] == "HOKS-keskustelut työpaikan kanssa sujuvat."
    assert answers["promise:naytot"] is None
    assert answers["level:kehittava"] is None
    assert answers["level:verkostot"] == "Alueverkosto."
    assert answers["plan"] == "Kehitetään HOKS-työkaluja ja näyttöjen arviointia."
    assert len(answers) == 8 + 1 + 6 + 4 + 1
    assert {row.instrument_version for row in store.export_rows()} == {instrument.version}


def test_buttons_turn_the_card_into_the_next_question_and_toggle_the_two_targets(chat: Chat) -> None:
    chat.send("/start")
    first = chat.prompt.prompt_id
    chat.press("5").expect("Vastauksesi tähän asti: Tavoitettavuus ja näkyvyys 5", "2/8").expect_not("✓")
    assert chat.prompt.replaces == first  # type: ignore[union-attr]  # the same card, edited: one call per tap
    second = chat.prompt.prompt_id
    # A second tap on the first card before it had turned (it carries the first question's id) is that
    # question's answer: it corrects point 1, never answers point 2, and the card shows point 2 again.
    chat.press("4", prompt_id=first).expect("Tavoitettavuus ja näkyvyys 4", "2/8").expect_not("jo vastattu")
    assert chat.prompt.prompt_id == second and chat.prompt.replaces == first  # type: ignore[union-attr]
    for value in "4321432":
        chat.press(value)
    chat.expect("Kehittämiskohteet")
    chat.press("naytot").press("palaute").press("siirtymat").expect("Voit valita enintään 2")
    chat.press("palaute").press("siirtymat")
    assert chat.prompt.selected == ("naytot", "siirtymat")  # type: ignore[union-attr]
    chat.press("done").expect("Näyttöjen laatu, Siirtymät, poikkeustilanteet")


def test_the_two_targets_must_be_exactly_two(chat: Chat) -> None:
    rate_all(chat.send("/start"))
    chat.press("done").expect("Valitse tasan 2 kohtaa (nyt valittuna 0)")
    chat.send("7").expect("Valitse tasan 2 kohtaa (nyt valittuna 1)")
    chat.send("1, 2, 3").expect("Valitse tasan 2 kohtaa (nyt valittuna 3)")
    chat.send("7, kahvinkeitin").expect("En tunnistanut kohtaa ”kahvinkeitin”")
    chat.press("ei-ole-olemassa").expect("jo vastattu")
    chat.send("Näyttöjen laatu ja työpaikkaohjaus").expect("Osa 1 on valmis",
                                                           "Näyttöjen laatu, Työpaikkaohjaus")
