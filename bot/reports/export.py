"""Writing answers out as CSV or JSON, with no personal identifiers, escaped for each format.

CSV: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`,
so a spreadsheet shows it as text instead of running it as a formula (OWASP "CSV injection"), and
control characters other than newline and tab are dropped. JSON: always valid, non-ASCII letters
kept readable, and `<`, `>`, `&`, U+2028 and U+2029 written as `\\uXXXX` escapes, so the file is
safe to paste inside an HTML `<script>` element as well.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from bot.core.flow import kind_of, subject_of
from bot.core.ports import ExportRow
from bot.core.text_input import clean_text

COLUMNS = ("round_id", "round_name", "respondent", "part", "point", "question", "value", "instrument_version",
           "answered_on")
PARTS = {"rate": "1", "priorities": "1", "works": "2", "develop": "2", "promise": "2", "level": "partnership",
         "plan": "plan"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters a JSON string may hold raw but an HTML <script> (or JavaScript before ES2019) may not,
# and lone surrogates, which cannot be written as UTF-8.
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def record(row: ExportRow) -> dict[str, Any]:
    kind = kind_of(row.question)
    point = subject_of(row.question) if kind in ("rate", "works", "develop", "promise") else ""
    return {
        "round_id": row.round_id,
        "round_name": row.round_name,
        "respondent": row.respondent,
        "part": PARTS.get(kind, ""),
        "point": point,
        "question": row.question,
        "value": row.value,
        "instrument_version": row.instrument_version,
        "answered_on": row.answered_on,
    }


def spreadsheet_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: no formula, no control characters (numbers stay numbers)."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    return "'" + text if value.startswith(FORMULA_STARTS) or text.startswith(FORMULA_STARTS) else text


def write_csv_records(records: Iterable[Mapping[str, object]], columns: Sequence[str], output: TextIO) -> int:
    writer = csv.DictWriter(output, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    count = 0
    for item in records:
        writer.writerow({key: spreadsheet_cell(value) for key, value in item.items()})
        count += 1
    return count


def json_text(value: object) -> str:
    """`value` as indented JSON, readable (ensure_ascii off) yet safe inside HTML."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def write_json_records(records: Sequence[Mapping[str, object]], output: TextIO) -> int:
    output.write(json_text(list(records)) + "\n")
    return len(records)


def write_csv(rows: Iterable[ExportRow], output: TextIO) -> int:
    return write_csv_records((record(row) for row in rows), COLUMNS, output)


def write_json(rows: Iterable[ExportRow], output: TextIO) -> int:
    return write_json_records([record(row) for row in rows], output)
