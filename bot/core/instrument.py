"""The survey instrument as immutable data: points, scale, partnership levels, UI strings.

Parsed from content/ by `bot.shell.content`; the engine reads it and never changes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.plurals import render

DEFAULT_LANGUAGE = "fi"
LANGUAGES = ("fi", "sv", "en")

Localized = Mapping[str, str]


def pick(text: Localized, language: str) -> str:
    """The text in `language`, falling back to Finnish (content check forbids gaps)."""
    return text.get(language) or text.get(DEFAULT_LANGUAGE) or next(iter(text.values()), "")


@dataclass(frozen=True, slots=True)
class ScaleOption:
    value: str
    key: str
    label: Localized
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GuideItem:
    question: Localized
    details: tuple[Localized, ...] = ()


@dataclass(frozen=True, slots=True)
class Point:
    """One critical point (kriittinen piste)."""

    id: str
    number: int
    title: Localized
    descriptors: Localized
    guide: tuple[GuideItem, ...]
    laws: tuple[Localized, ...] = ()
    derived: bool = False
    source: str = ""  # the content file it came from, for problem reports


@dataclass(frozen=True, slots=True)
class PartnershipLevel:
    id: str
    title: Localized
    questions: tuple[Localized, ...]
    record: Localized


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command: canonical name, the names people may type per language, descriptions."""

    name: str
    names: Mapping[str, tuple[str, ...]]
    description: Localized


@dataclass(frozen=True, slots=True)
class Settings:
    max_answer_length: int = 4000
    priorities_count: int = 2


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    version: str
    languages: tuple[str, ...]
    source: Localized
    settings: Settings
    scale_question: Localized
    scale: tuple[ScaleOption, ...]
    # works, develop; promise (asked under the organisation's own promise), promise_label (its lead-in),
    # promise_open (asked where none is configured); derived_note (for points with derived questions)
    deepening: Mapping[str, Localized]
    plan_question: Localized
    plan_note: Localized
    points: tuple[Point, ...]
    partnership_intro: Localized
    levels: tuple[PartnershipLevel, ...]
    ui: Mapping[str, Mapping[str, str]]  # language -> dotted key -> template
    commands: tuple[CommandSpec, ...]
    choice_aliases: tuple[tuple[str, str], ...] = ()  # (what people type, option value), any language
    # The organisation's own service promise: "default" for every point, a point id for that point's own
    service_promise: Mapping[str, Localized] = field(default_factory=dict)

    def text(self, language: str, key: str, **values: object) -> str:
        """A UI string in `language` (Finnish when missing), with {placeholders} filled and plural constructs
        ({count:plural:one=# arvio|other=# arviota}, see `bot.core.plurals`) in the right form."""
        template = self.ui.get(language, {}).get(key)
        if not template:
            language, template = DEFAULT_LANGUAGE, self.ui[DEFAULT_LANGUAGE][key]
        return render(template, language, values) if values else template

    def point(self, point_id: str) -> Point:
        for point in self.points:
            if point.id == point_id:
                return point
        raise KeyError(point_id)

    def promise_for(self, point_id: str) -> Localized | None:
        """The service promise configured for a critical point (its own, else the default), or None."""
        return self.service_promise.get(point_id) or self.service_promise.get("default")

    def level(self, level_id: str) -> PartnershipLevel:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)

    def scale_option(self, value: str) -> ScaleOption:
        for option in self.scale:
            if option.value == value:
                return option
        raise KeyError(value)

    @property
    def point_ids(self) -> tuple[str, ...]:
        return tuple(point.id for point in self.points)

    @property
    def level_ids(self) -> tuple[str, ...]:
        return tuple(level.id for level in self.levels)
