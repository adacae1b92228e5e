"""A team digest as plain text in the reader's language (adapters escape it for their markup)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.formatting import decimal_text
from bot.core.instrument import Instrument, pick
from bot.reports.digest import AnswerGroup, TeamDigest

BAR = "▁▂▃▄▅▆▇█"
AGREED_SHOWN = 3  # the previous round's actions shown beside a score (all are in that round's workbook)
AGREED_LENGTH = 80  # an action longer than this is shortened in the digest (a chat message is no report)


def distribution_bar(distribution: tuple[int, ...]) -> str:
    """A tiny sparkline of the 1–5 counts, readable on a phone."""
    top = max(distribution, default=0) or 1
    return " " + "".join(BAR[round(count / top * (len(BAR) - 1))] for count in distribution)


def answer_line(answer: AnswerGroup, t: Callable[..., str]) -> str:
    """An answer as a line of a list: as typed, with how many wrote it when more than one did."""
    return t("digest.grouped_answer", answer=answer.text, count=answer.count) if answer.count > 1 else answer.text


def agreed_line(actions: tuple[str, ...], t: Callable[..., str]) -> str:
    """The actions agreed for a point in the previous round, as one short line under its score."""
    shown = [" ".join(action.split()) for action in actions[:AGREED_SHOWN]]
    shown = [action if len(action) <= AGREED_LENGTH else action[:AGREED_LENGTH - 1].rstrip() + "…"
             for action in shown]
    more = t("digest.agreed_more", count=len(actions) - AGREED_SHOWN) if len(actions) > AGREED_SHOWN else ""
    return t("digest.agreed_before", text="; ".join(shown) + more)


def digest_text(digest: TeamDigest, instrument: Instrument, language: str, *, results: bool = True
                ) -> tuple[str, str]:
    """(heading, text) of the digest; without `results`, participation only (a weekly digest while the round is
    open: results seen during it would herd the answers still to come)."""
    def t(key: str, **values: object) -> str:
        return instrument.text(language, key, **values)

    if not results:
        participation = t("digest.participation", answered=digest.answered, invited=digest.invited,
                          part1=digest.part1_done, part2=digest.part2_started, finished=digest.finished)
        return (t("digest.heading", team=digest.team, round=digest.round_name),
                f"{participation}\n\n{t('digest.results_at_close')}")

    def title(point_id: str) -> str:
        return pick(instrument.point(point_id).title, language)

    lines = [t("digest.participation", answered=digest.answered, invited=digest.invited, part1=digest.part1_done,
               part2=digest.part2_started, finished=digest.finished), "", t("digest.scores_heading")]
    for score in digest.scores:
        agreed = digest.agreed_before.get(score.point_id, ())
        after = [agreed_line(agreed, t)] if agreed else []  # read the point's score against what was agreed
        if score.mean is None:
            lines.append(t("digest.score_hidden", title=title(score.point_id),
                           needed=digest.min_scores - score.raters))
            lines += after
            continue
        trend = ""
        if score.previous_mean is not None:
            change = decimal_text(score.mean - score.previous_mean, language, sign=True)
            previous = t("digest.previous", previous=decimal_text(score.previous_mean, language))
            trend = f"{score.trend} {change}{previous}"
        cant_say = t("digest.cant_say", count=score.cant_say) if score.cant_say else ""
        lines.append(t("digest.score", title=title(score.point_id), mean=decimal_text(score.mean, language),
                       trend=trend, bar=distribution_bar(score.distribution), raters=score.raters, cant_say=cant_say))
        lines += after
    if any(score.mean is not None for score in digest.scores):
        lines.append(t("digest.bars_legend"))
    lines.append("")
    if digest.priorities:
        lines.append(t("digest.priorities_heading"))
        lines += [t("digest.priority", title=title(point), votes=votes) for point, votes in digest.priorities]
    else:
        lines.append(t("digest.priorities_hidden", minimum=digest.min_scores))
    for group in digest.open_answers:
        lines.append("")
        if not group.shown:
            lines.append(t("digest.open_hidden", title=title(group.point_id), minimum=digest.min_texts,
                           writers=group.writers))
            continue
        lines.append(t("digest.open_heading", title=title(group.point_id)))
        for kind, answers, writers, more in group.grouped():
            if answers:
                lines.append(t(f"digest.{kind}") + ":")
                lines += [f"• {answer_line(answer, t)}" for answer in answers]
                if more:
                    lines.append(t("digest.more", count=more))
            elif writers:  # too few answered this question: its list is not shown, only how many wrote
                lines.append(t("digest.list_hidden", question=t(f"digest.{kind}"), minimum=digest.min_texts,
                               writers=writers))
    if any(answer.count > 1 for group in digest.open_answers for values in group.groups for answer in values):
        lines += ["", t("digest.grouped_note")]
    lines += ["", t("digest.anonymity", scores=digest.min_scores, texts=digest.min_texts)]
    return t("digest.heading", team=digest.team, round=digest.round_name), "\n".join(lines)
