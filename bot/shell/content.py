"""Loading content/ (YAML) into an `Instrument`, collecting every problem with file and path.

An organisation may point KARTOITUS_CONTENT_DIR at its own copy; a broken copy is reported
problem by problem instead of failing at the first one.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from bot.core.instrument import (
    LANGUAGES,
    CommandSpec,
    GuideItem,
    Instrument,
    Localized,
    PartnershipLevel,
    Point,
    ScaleOption,
    Settings,
)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SHIPPED_CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
# The texts of `deepening:` in instrument.yaml, each required in every language.
DEEPENING_TEXTS = ("works", "develop", "promise", "promise_label", "promise_open", "derived_note")


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}" if self.path else f"{self.file}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


class _Reader:
    """Reads one YAML document, recording problems instead of raising."""

    def __init__(self, root: Path, file: Path, problems: list[Problem]) -> None:
        self.name = str(file.relative_to(root)) if file.is_relative_to(root) else str(file)
        self.problems = problems
        self.data: Any = None
        try:
            # libyaml when the wheel has it (about 7× faster: every CLI command loads the content)
            self.data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)
        except FileNotFoundError:
            self.problem("", "file is missing")
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            self.problem("", f"not valid YAML: {error}")

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.name, path, message))

    def mapping(self, node: Any, path: str) -> Mapping[str, Any]:
        if isinstance(node, Mapping):
            return node
        self.problem(path, "expected a mapping")
        return {}

    def items(self, node: Any, path: str) -> list[Any]:
        if node is None:
            return []
        if isinstance(node, list):
            return node
        self.problem(path, "expected a list")
        return []

    def text(self, node: Any, path: str) -> str:
        if isinstance(node, (str, int, float)) and not isinstance(node, bool) and str(node).strip():
            return str(node)
        self.problem(path, "expected a non-empty text")
        return ""

    def localized(self, node: Any, path: str) -> Localized:
        mapping = self.mapping(node, path)
        result: dict[str, str] = {}
        for language in LANGUAGES:
            value = mapping.get(language)
            if isinstance(value, str) and value.strip():
                result[language] = value.strip()
            else:
                self.problem(f"{path}.{language}", f"missing translation ({language})")
        for extra in sorted(set(mapping) - set(LANGUAGES)):
            self.problem(f"{path}.{extra}", f"unknown language '{extra}'")
        return result

    def unique(self, ids: list[str], path: str, what: str) -> None:
        seen: set[str] = set()
        for index, identifier in enumerate(ids):
            if identifier in seen:
                self.problem(f"{path}[{index}].id", f"duplicate {what} id '{identifier}'")
            seen.add(identifier)


def load_instrument(directory: Path | None = None) -> Instrument:
    """Parse the content in `directory` (the shipped content by default) or raise ContentError."""
    instrument, problems = read_instrument(directory or SHIPPED_CONTENT_DIR)
    if problems or instrument is None:
        raise ContentError(problems)
    return instrument


def read_instrument(directory: Path) -> tuple[Instrument | None, list[Problem]]:
    problems: list[Problem] = []
    if not directory.is_dir():
        return None, [Problem(str(directory), "", "content directory does not exist")]
    main = _Reader(directory, directory / "instrument.yaml", problems)
    top = main.mapping(main.data, "")
    settings = _settings(main, top.get("settings"))
    points = _points(directory, problems)
    partnership = _Reader(directory, directory / "partnership.yaml", problems)
    intro, levels = _levels(partnership)
    ui, commands = _ui(directory, problems)
    deepening = main.mapping(top.get("deepening"), "deepening")
    plan = main.mapping(top.get("plan"), "plan")
    scale = main.mapping(top.get("scale"), "scale")
    instrument = Instrument(
        id=main.text(top.get("id"), "id"),
        version=main.text(top.get("version"), "version"),
        languages=LANGUAGES,
        source=main.localized(top.get("source"), "source"),
        settings=settings,
        scale_question=main.localized(scale.get("question"), "scale.question"),
        scale=_scale(main, scale.get("options")),
        deepening={key: main.localized(deepening.get(key), f"deepening.{key}") for key in DEEPENING_TEXTS},
        plan_question=main.localized(plan.get("question"), "plan.question"),
        plan_note=main.localized(plan.get("note"), "plan.note"),
        points=points,
        partnership_intro=intro,
        levels=levels,
        ui=ui,
        commands=commands,
        service_promise=_service_promise(main, top.get("service_promise"), points),
    )
    instrument = replace(instrument, choice_aliases=_choice_aliases(instrument))
    return (None if problems else instrument), problems


def _service_promise(reader: _Reader, node: Any, points: tuple[Point, ...]) -> dict[str, Localized]:
    """The organisation's own service promise: `default` and per point id, every language; none by default.

    An entry left empty (`default:` with nothing after it) counts as not configured."""
    entries = reader.mapping(node or {}, "service_promise")
    known = {point.id for point in points}
    promises: dict[str, Localized] = {}
    for key, value in entries.items():
        path = f"service_promise.{key}"
        if key != "default" and key not in known:
            reader.problem(path, f"unknown critical point '{key}' (use 'default' or a point id: "
                                 f"{', '.join(sorted(known))})")
        elif value is not None:
            promises[str(key)] = reader.localized(value, path)
    return promises


def _choice_aliases(instrument: Instrument) -> tuple[tuple[str, str], ...]:
    """Other names for scale options ("eos") and languages ("svenska", "ruotsi")."""
    pairs = [(alias, option.value) for option in instrument.scale
             for names in option.aliases.values() for alias in names]
    for code in LANGUAGES:
        names = instrument.ui.get(code, {}).get("language.aliases", "")
        pairs += [(name.strip(), code) for name in names.split(",") if name.strip()]
    return tuple(pairs)


def _settings(reader: _Reader, node: Any) -> Settings:
    values = reader.mapping(node or {}, "settings")
    defaults = Settings()
    result: dict[str, int] = {}
    for name in ("max_answer_length", "priorities_count"):
        value = values.get(name, getattr(defaults, name))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            reader.problem(f"settings.{name}", "expected a positive whole number")
            value = getattr(defaults, name)
        result[name] = value
    return Settings(**result)


def _scale(reader: _Reader, node: Any) -> tuple[ScaleOption, ...]:
    options = []
    for index, raw in enumerate(reader.items(node, "scale.options")):
        path = f"scale.options[{index}]"
        item = reader.mapping(raw, path)
        aliases = reader.mapping(item.get("aliases") or {}, f"{path}.aliases")
        options.append(
            ScaleOption(
                value=reader.text(item.get("value"), f"{path}.value"),
                key=reader.text(item.get("key"), f"{path}.key"),
                label=reader.localized(item.get("label"), f"{path}.label"),
                aliases={lang: tuple(str(a) for a in reader.items(v, f"{path}.aliases.{lang}"))
                         for lang, v in aliases.items()},
            )
        )
    if len(options) < 2:
        reader.problem("scale.options", "the scale needs at least two options")
    for field_name in ("value", "key"):
        values = [getattr(option, field_name) for option in options]
        for index, value in enumerate(values):
            if value in values[:index]:
                reader.problem(f"scale.options[{index}].{field_name}", f"duplicate {field_name} '{value}'")
    return tuple(options)


def _points(directory: Path, problems: list[Problem]) -> tuple[Point, ...]:
    files = sorted((directory / "points").glob("*.yaml"))
    if not files:
        problems.append(Problem("points/", "", "no critical points found"))
    points: list[Point] = []
    readers: list[_Reader] = []
    for file in files:
        reader = _Reader(directory, file, problems)
        readers.append(reader)
        points.append(_point(reader, default_number=len(points) + 1))
    seen: dict[str, str] = {}
    for point, reader in zip(points, readers, strict=True):
        if point.id in seen:
            reader.problem("id", f"duplicate point id '{point.id}' (also in {seen[point.id]})")
        seen.setdefault(point.id, reader.name)
    return tuple(sorted(points, key=lambda point: point.number))


def _localized_list(reader: _Reader, node: Any, path: str) -> tuple[Localized, ...]:
    return tuple(reader.localized(item, f"{path}[{index}]") for index, item in enumerate(reader.items(node, path)))


def _point(reader: _Reader, default_number: int) -> Point:
    item = reader.mapping(reader.data, "")
    guide = []
    for index, raw in enumerate(reader.items(item.get("guide"), "guide")):
        entry = reader.mapping(raw, f"guide[{index}]")
        guide.append(GuideItem(
            question=reader.localized(entry.get("question"), f"guide[{index}].question"),
            details=_localized_list(reader, entry.get("details"), f"guide[{index}].details"),
        ))
    if not guide:
        reader.problem("guide", "a critical point needs at least one guiding question")
    number = item.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        reader.problem("number", "expected a whole number")
        number = default_number
    return Point(
        id=_identifier(reader, item.get("id"), "id"),
        number=number,
        title=reader.localized(item.get("title"), "title"),
        descriptors=reader.localized(item.get("descriptors"), "descriptors"),
        guide=tuple(guide),
        laws=_localized_list(reader, item.get("laws"), "laws"),
        derived=bool(item.get("derived", False)),
        source=reader.name,
    )


def _identifier(reader: _Reader, node: Any, path: str) -> str:
    identifier = reader.text(node, path)
    if identifier and not (identifier.isascii() and identifier.replace("_", "").replace("-", "").isalnum()):
        reader.problem(path, f"ids must be ASCII letters, digits, '-' or '_': '{identifier}'")
    return identifier


def _levels(reader: _Reader) -> tuple[Localized, tuple[PartnershipLevel, ...]]:
    top = reader.mapping(reader.data, "")
    levels = []
    for index, raw in enumerate(reader.items(top.get("levels"), "levels")):
        path = f"levels[{index}]"
        item = reader.mapping(raw, path)
        levels.append(PartnershipLevel(
            id=_identifier(reader, item.get("id"), f"{path}.id"),
            title=reader.localized(item.get("title"), f"{path}.title"),
            questions=_localized_list(reader, item.get("questions"), f"{path}.questions"),
            record=reader.localized(item.get("record"), f"{path}.record"),
        ))
    reader.unique([level.id for level in levels], "levels", "level")
    return reader.localized(top.get("intro"), "intro"), tuple(levels)


def _flatten(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and not dotted.startswith("commands."):
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return {"<unbalanced braces>"}


def _ui(directory: Path, problems: list[Problem]) -> tuple[dict[str, dict[str, str]], tuple[CommandSpec, ...]]:
    catalogues: dict[str, dict[str, str]] = {}
    command_nodes: dict[str, Mapping[str, Any]] = {}
    readers: dict[str, _Reader] = {}
    for language in LANGUAGES:
        reader = _Reader(directory, directory / "ui" / f"{language}.yaml", problems)
        readers[language] = reader
        flat = _flatten(reader.mapping(reader.data, ""))
        command_nodes[language] = {k.removeprefix("commands."): v for k, v in flat.items() if k.startswith("commands.")}
        catalogues[language] = {}
        for key, value in flat.items():
            if key.startswith("commands."):
                continue
            catalogues[language][key] = reader.text(value, key)
    reference = catalogues["fi"]
    for language in LANGUAGES[1:]:
        reader, catalogue = readers[language], catalogues[language]
        for key in sorted(set(reference) - set(catalogue)):
            reader.problem(key, f"missing translation ({language})")
        for key in sorted(set(catalogue) - set(reference)):
            reader.problem(key, "not in fi.yaml (unknown key)")
        for key in sorted(set(catalogue) & set(reference)):
            if _placeholders(catalogue[key]) != _placeholders(reference[key]):
                reader.problem(key, f"placeholders {sorted(_placeholders(catalogue[key]))} differ from "
                                    f"fi.yaml's {sorted(_placeholders(reference[key]))}")
    return catalogues, _commands(readers, command_nodes)


def _commands(readers: Mapping[str, _Reader], nodes: Mapping[str, Mapping[str, Any]]) -> tuple[CommandSpec, ...]:
    specs = []
    for name in nodes["fi"]:
        names: dict[str, tuple[str, ...]] = {}
        description: dict[str, str] = {}
        for language in LANGUAGES:
            reader = readers[language]
            entry = reader.mapping(nodes[language].get(name), f"commands.{name}")
            aliases = tuple(str(alias) for alias in reader.items(entry.get("names"), f"commands.{name}.names"))
            for alias in aliases:
                if not (alias.isascii() and alias.replace("_", "").isalnum() and alias == alias.lower()):
                    reader.problem(f"commands.{name}.names", f"'{alias}': commands must be lowercase a-z, 0-9, _")
            if not aliases:
                reader.problem(f"commands.{name}.names", f"missing translation ({language})")
            names[language] = aliases
            description[language] = reader.text(entry.get("description"), f"commands.{name}.description")
        specs.append(CommandSpec(name=name, names=names, description=description))
    return tuple(specs)
