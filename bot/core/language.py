"""Which of our languages a platform's locale names ("fi-FI", "sv_SE", "en") — or None for any other."""

from __future__ import annotations

from bot.core.instrument import LANGUAGES


def language_code(text: str | None) -> str | None:
    code = (text or "").strip().replace("_", "-").split("-")[0].casefold()
    return code if code in LANGUAGES else None


def language_or(locale: str | None, default: str) -> str:
    """The language `locale` names, else `default` (the configured language, KARTOITUS_LANGUAGE)."""
    return language_code(locale) or default
