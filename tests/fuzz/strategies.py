"""What hostile or careless people send: text, button payloads and locales, as Hypothesis strategies."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.shell.content import load_instrument

INSTRUMENT = load_instrument()
LIMIT = INSTRUMENT.settings.max_answer_length

# Pieces that mean something to the bot or to a platform, mixed into random text.
TOKENS = (
    "4", "0", "9", "1 2", "3 7", "eos", "En osaa sanoa", "Toimii hyvin", "vet ej", "don't know", "ja", "och", ",",
    "/tauko", "/ohita", "/kieli sv", "/", " /jatka", "@", "<!channel>", "<@U0BOSS>", "&amp;", "<b>", "*x*", "`",
    "\x00", "\x1b[31m", "\x7f", "\x85", "\u200b", "\u200f", "\u202e", "\ufeff", "\ufffd", "\ud800", "\udfff",
    "e\u0301", "\U0001d54f", "👩‍👩‍👧", "\r\n", "\n\n", "\t", "ä" * 64, "ﬃ", "İ", "ß", "ǅ",
    *(option.key for option in INSTRUMENT.scale),
    *(point.id for point in INSTRUMENT.points),
    *(point.title["fi"] for point in INSTRUMENT.points),
    "done", "skip", "continue", "pause", "forward", "yes", "no", "cancel", "fi", "sv", "en",
)

any_char = st.characters(codec=None)  # every code point but lone surrogates (those come in via TOKENS)
typed_text = st.one_of(  # few draws per example: Hypothesis' own cost per draw is what the suite mostly spends
    st.text(any_char, max_size=60),
    st.lists(st.sampled_from(TOKENS), max_size=4).map(" ".join),
    st.tuples(st.sampled_from(TOKENS), st.text(any_char, max_size=6), st.sampled_from(TOKENS)).map("".join),
)

# Printable text: its length is the same however control characters are treated, so it is over-long for sure.
printable = st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))


@st.composite
def over_long_text(draw: st.DrawFn) -> str:
    """An answer longer than the limit: up to 100,000 characters (repeats of a random piece)."""
    piece = draw(st.text(printable, min_size=1, max_size=20).filter(lambda s: s.strip() == s and s.strip()))
    length = draw(st.integers(LIMIT + 1, 100_000))
    return (piece * (length // len(piece) + 1))[:length - 1] + "."  # no space at the end to strip


locales = st.one_of(st.none(), st.sampled_from(
    ["fi", "fi-FI", "sv", "sv-FI", "sv_SE", "en", "en-US", "EN-gb", "de", "fr-CA", "", " ", "sv-", "-", "x" * 40]),
    st.text(any_char, max_size=8))
languages = st.sampled_from([None, "fi", "sv", "en"])

# Button payloads ("<prompt id>:<value>") as a forger or a truncating client would send them.
prompt_ids = st.one_of(
    st.integers(0, 10**12).map(str), st.sampled_from(["", "-1", "01", "1.0", "١٢", "²", "0x1", " 1", "1 "]),
    st.text(any_char, max_size=6))
option_values = st.one_of(st.sampled_from(TOKENS), st.text(any_char, max_size=12))
payloads = st.one_of(
    st.builds(lambda p, v: f"{p}:{v}", prompt_ids, option_values),
    st.builds(lambda p, v, cut: f"{p}:{v}"[:cut], prompt_ids, option_values, st.integers(0, 8)),  # truncated
    st.text(any_char, max_size=70),
    st.sampled_from(['{"prompt": 3, "value": "4"}', "[1, 2]", "null", "3", ":", "::", "3::4", "3:4:5", "%33%3A4",
                     "M3w6NA==", "\ud800:4", "3:\x00"]),
)
