"""Writing answers out as CSV or JSON, with no personal identifiers."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from bot.flow import kind_of, subject_of
from bot.ports import ExportRow

COLUMNS = ("round_id", "round_name", "respondent", "part", "point", "question", "value", "instrument_version",
           "answered_on")
PARTS = {"rate": "1", "priorities": "1", "works": "2", "develop": "2", "promise": "2", "level": "partnership",
         "plan": "plan"}


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


def write_csv(rows: Iterable[ExportRow], output: TextIO) -> int:
    writer = csv.DictWriter(output, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(record(row))
        count += 1
    return count


def write_json(rows: Iterable[ExportRow], output: TextIO) -> int:
    records = [record(row) for row in rows]
    json.dump(records, output, ensure_ascii=False, indent=2)
    output.write("\n")
    return len(records)
