"""The results of a benchmark run and how they are printed: ratios first, absolute figures second.

Pure code (no I/O, no clients): scenario modules build :class:`Section` values from
medians; :func:`render_markdown` and :func:`report_to_json` turn a :class:`Report` into
text. Goals are reported, never asserted.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Goal",
    "Metric",
    "Ratio",
    "Report",
    "Row",
    "Section",
    "format_number",
    "goal_outcome",
    "median",
    "ratio",
    "render_markdown",
    "report_to_json",
]

MISSING = "n/a"


@dataclass(frozen=True)
class Metric:
    """One measured quantity: a column of the absolute table.

    Attributes:
        key: The key of this metric in :attr:`Row.values`.
        title: Column header, e.g. ``"CPU/job"``.
        unit: Unit shown in the header, e.g. ``"ms"`` (empty for a plain count).
        digits: Decimal places printed.
    """

    key: str
    title: str
    unit: str = ""
    digits: int = 1


@dataclass(frozen=True)
class Row:
    """One client (or variant) in a section: the median of each metric.

    Attributes:
        label: The client's name, e.g. ``"videoclient async"``.
        values: Metric key to median value; a metric that was not measured is absent.
        note: Shown next to the row (why it was skipped, what it did differently).
    """

    label: str
    values: Mapping[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Ratio:
    """A column of the ratio table: every row's ``metric`` divided by the ``peer`` row's."""

    metric: str
    peer: str


@dataclass(frozen=True)
class Goal:
    """A target for one figure: a ratio against a peer, or an absolute bound.

    Attributes:
        subject: Label of the row the goal is about.
        metric: Metric key.
        limit: The bound: a ratio when ``peer`` is given, else a value in the metric's unit.
        peer: Label of the row to divide by, or None for an absolute goal.
        at_least: True when the figure must be ``>= limit`` (throughput), else ``<=``.
    """

    subject: str
    metric: str
    limit: float
    peer: str | None = None
    at_least: bool = False


@dataclass(frozen=True)
class Section:
    """One scenario's results.

    Attributes:
        key: Short name (``"lifecycle"``), used in JSON and on the command line.
        title: Heading.
        what: One sentence saying exactly what was measured.
        metrics: The columns of the absolute table.
        rows: One per client.
        ratios: The columns of the ratio table (none: no ratio table).
        goals: Targets, checked and printed, never asserted.
        notes: Remarks printed under the tables.
    """

    key: str
    title: str
    what: str
    metrics: tuple[Metric, ...]
    rows: tuple[Row, ...]
    ratios: tuple[Ratio, ...] = ()
    goals: tuple[Goal, ...] = ()
    notes: tuple[str, ...] = ()

    def row(self, label: str) -> Row | None:
        """The row with this label, if any."""
        return next((r for r in self.rows if r.label == label), None)

    def metric(self, key: str) -> Metric:
        """The metric with this key.

        Raises:
            KeyError: If the section has no such metric.
        """
        for m in self.metrics:
            if m.key == key:
                return m
        raise KeyError(key)


@dataclass(frozen=True)
class Report:
    """A whole run: the machine it ran on, how, and every section."""

    command: str
    machine: str
    mode: str
    runs: int
    sections: tuple[Section, ...]


def median(values: Iterable[float]) -> float:
    """The median of the finite values (NaN when there are none)."""
    finite = [v for v in values if math.isfinite(v)]
    return statistics.median(finite) if finite else math.nan


def _value(section: Section, label: str, metric: str) -> float | None:
    row = section.row(label)
    if row is None:
        return None
    value = row.values.get(metric)
    if value is None or not math.isfinite(value):
        return None
    return value


def ratio(section: Section, label: str, metric: str, peer: str) -> float | None:
    """``label``'s ``metric`` divided by ``peer``'s; None if either is missing or the peer is 0."""
    a = _value(section, label, metric)
    b = _value(section, peer, metric)
    if a is None or b is None or b == 0:
        return None
    return a / b


def goal_outcome(section: Section, goal: Goal) -> tuple[float | None, bool | None]:
    """The goal's figure (a ratio, or the absolute value) and whether it was met.

    Returns:
        ``(figure, met)``; both None when the figure could not be measured.
    """
    if goal.peer is None:
        figure = _value(section, goal.subject, goal.metric)
    else:
        figure = ratio(section, goal.subject, goal.metric, goal.peer)
    if figure is None:
        return None, None
    met = figure >= goal.limit if goal.at_least else figure <= goal.limit
    return figure, met


def format_number(value: float | None, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals and thousands separators; ``n/a`` when missing."""
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value:,.{digits}f}"


def _ratio_text(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:.2f}x" if value < 100 else f"{value:,.0f}x"


def _header(metric: Metric) -> str:
    return f"{metric.title} ({metric.unit})" if metric.unit else metric.title


def _figure_text(section: Section, goal: Goal, figure: float | None) -> str:
    """A goal's figure, with one more decimal when rounding would make it look like the limit."""
    digits = 2 if goal.peer is not None else section.metric(goal.metric).digits
    suffix = "x" if goal.peer is not None else ""
    if figure is not None and figure != goal.limit:
        while digits < 6 and round(figure, digits) == round(goal.limit, digits):
            digits += 1
    return format_number(figure, digits) + suffix


def _goal_text(section: Section, goal: Goal) -> str:
    metric = section.metric(goal.metric)
    op = ">=" if goal.at_least else "<="
    if goal.peer is None:
        bound = f"{goal.limit:g} {metric.unit}".rstrip()
    else:
        bound = f"{goal.limit:g}x {goal.peer}"
    return f"{goal.subject}: {metric.title} {op} {bound}"


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, text_last: bool = False
) -> list[str]:
    """A Markdown table: the first column (and a text last column) left-aligned, numbers right."""
    aligns = ["---"] + ["---:"] * (len(header) - 1)
    if text_last:
        aligns[-1] = "---"
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    lines.extend("| " + " | ".join(r) + " |" for r in rows)
    return lines


def _section_lines(section: Section) -> list[str]:
    lines = [f"### {section.title}", "", section.what, ""]
    if section.ratios:
        header = ["client"] + [
            f"{section.metric(r.metric).title} vs {r.peer}" for r in section.ratios
        ]
        body = [
            [row.label]
            + [_ratio_text(ratio(section, row.label, r.metric, r.peer)) for r in section.ratios]
            for row in section.rows
            if row.values
        ]
        lines += [*_table(header, body), ""]
    with_notes = any(row.note for row in section.rows)
    header = ["client"] + [_header(m) for m in section.metrics] + (["note"] if with_notes else [])
    body = []
    for row in section.rows:
        cells = [row.label] + [
            format_number(row.values.get(m.key), m.digits) for m in section.metrics
        ]
        body.append(cells + ([row.note] if with_notes else []))
    lines += [*_table(header, body, text_last=with_notes), ""]
    if section.goals:
        lines.append("Goals:")
        for goal in section.goals:
            figure, met = goal_outcome(section, goal)
            if met is None:
                verdict = "not measured"
            else:
                shown = _figure_text(section, goal, figure)
                verdict = f"{'met' if met else 'MISSED'} ({shown})"
            lines.append(f"- {_goal_text(section, goal)}: {verdict}")
        lines.append("")
    for note in section.notes:
        lines.append(f"> {note}")
    if section.notes:
        lines.append("")
    return lines


def render_markdown(report: Report) -> str:
    """The whole report as Markdown: a heading, the machine line, then each section."""
    lines = [
        f"## Benchmarks ({report.mode}, median of {report.runs} run{'s' if report.runs != 1 else ''})",
        "",
        f"`{report.command}` on {report.machine}",
        "",
    ]
    for section in report.sections:
        lines += _section_lines(section)
    return "\n".join(lines).rstrip() + "\n"


def _clean(value: float) -> float | None:
    return value if math.isfinite(value) else None


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON values (NaN becomes null)."""
    sections = []
    for s in report.sections:
        goals = []
        for g in s.goals:
            figure, met = goal_outcome(s, g)
            goals.append(
                {
                    "text": _goal_text(s, g),
                    "subject": g.subject,
                    "metric": g.metric,
                    "peer": g.peer,
                    "limit": g.limit,
                    "at_least": g.at_least,
                    "figure": figure,
                    "met": met,
                }
            )
        sections.append(
            {
                "key": s.key,
                "title": s.title,
                "what": s.what,
                "metrics": [{"key": m.key, "title": m.title, "unit": m.unit} for m in s.metrics],
                "rows": [
                    {
                        "label": r.label,
                        "values": {k: _clean(v) for k, v in r.values.items()},
                        "note": r.note,
                    }
                    for r in s.rows
                ],
                "ratios": [
                    {
                        "metric": r.metric,
                        "peer": r.peer,
                        "values": {
                            row.label: ratio(s, row.label, r.metric, r.peer) for row in s.rows
                        },
                    }
                    for r in s.ratios
                ],
                "goals": goals,
                "notes": list(s.notes),
            }
        )
    return {
        "command": report.command,
        "machine": report.machine,
        "mode": report.mode,
        "runs": report.runs,
        "sections": sections,
    }
