"""Looking for a person in a database the way an auditor would: every table, every column, as text."""

from __future__ import annotations

import sqlalchemy as sa

from storage.database import create_database_engine
from storage.tables import answer, respondent, respondent_link


def traces(url: str, *needles: str) -> list[str]:
    """`table.column = value` for every stored value that contains one of `needles` (case-insensitive)."""
    wanted = [needle.casefold() for needle in needles]
    engine = create_database_engine(url)
    found: list[str] = []
    try:
        with engine.connect() as db:
            for name in sa.inspect(engine).get_table_names():
                table = sa.Table(name, sa.MetaData(), autoload_with=db)
                for row in db.execute(sa.select(table)).mappings():
                    for column, value in row.items():
                        text = str(value).casefold() if value is not None else ""
                        if any(needle in text for needle in wanted):
                            found.append(f"{name}.{column} = {value!r}")
    finally:
        engine.dispose()
    return found


def answer_owners(url: str) -> dict[str, int]:
    """How many answer rows can be joined to each person (platform:user_id) through the links."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as db:
            rows = db.execute(sa.select(respondent.c.platform, respondent.c.user_id, sa.func.count(answer.c.id))
                              .select_from(answer.join(respondent_link,
                                                       respondent_link.c.respondent_key == answer.c.respondent_key)
                                           .join(respondent, respondent.c.id == respondent_link.c.respondent_id))
                              .group_by(respondent.c.platform, respondent.c.user_id)).all()
    finally:
        engine.dispose()
    return {f"{platform}:{user}": int(count) for platform, user, count in rows}


def count_rows(url: str, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    engine = create_database_engine(url)
    try:
        with engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())
    finally:
        engine.dispose()
