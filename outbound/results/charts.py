"""Charts of a month's results as SVG text (matplotlib), to paste into a monthly report or show
on a page: success rates with their 95% intervals, daily progress against quota, a funnel
from segment to success, and shares such as the tickets closed within their limits. Their
words come through SAY, the reader's translator."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

# Text stays text in the SVG: the browser draws the Chinese with its own fonts.
plt.rcParams["svg.fonttype"] = "none"
plt.rcParams["font.family"] = ["sans-serif"]
plt.rcParams["font.sans-serif"] = [
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Microsoft YaHei",
    "PingFang SC",
    *plt.rcParams["font.sans-serif"],
]
GROUPS = (("assigned", "assigned", "#0b62c4"), ("reached", "reached", "#1d7a3e"))
HOLDOUT = ("holdout", "holdout", "#8a96a3")
Say = Callable[..., str]


def rates(table: pd.DataFrame, title: str, say: Say, titles: Mapping[str, str]) -> str:
    """Success rate of the assigned, reached and holdout lines of each row of a lift TABLE
    (one row a campaign, or a region...), with 95% Wilson intervals as error bars; campaigns
    are labelled with their TITLES."""
    labels = [
        titles.get(c, str(c)) if v == "all" else f"{titles.get(c, c)}\n{v}"
        for c, v in zip(table["campaign"], table["value"], strict=True)
    ]
    figure = Figure(figsize=(max(6.0, 1.6 * len(labels) + 2), 3.6))
    axes = figure.subplots()
    width = 0.26
    for offset, (column, label, colour) in enumerate((*GROUPS, HOLDOUT)):
        values = table[f"{column}_rate"].astype(float).fillna(0.0)
        low = (values - table[f"{column}_low"].astype(float)).fillna(0.0).clip(lower=0)
        high = (table[f"{column}_high"].astype(float) - values).fillna(0.0).clip(lower=0)
        positions = [i + (offset - 1) * width for i in range(len(labels))]
        axes.bar(positions, values * 100, width, label=say(label), color=colour)
        axes.errorbar(
            positions, values * 100, yerr=[low * 100, high * 100], fmt="none", ecolor="#1d2733"
        )
    axes.set_xticks(range(len(labels)), labels)
    axes.set_ylabel(say("success rate, %"))
    axes.set_title(title)
    axes.legend(frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def funnel(steps: list[tuple[str, int]], title: str) -> str:
    """Horizontal bars, widest first: how many lines reached each step."""
    counts = [count for _, count in steps]
    labels = [f"{count:,}" for count in counts]
    return _bars(steps, labels, title, "#0b62c4", max(counts or [1]) * 1.15)


def shares(items: list[tuple[str, float]], title: str) -> str:
    """Horizontal bars on a scale of 0 to 100%: a share for each named item."""
    return _bars(items, [f"{value:.1f}%" for _, value in items], title, "#1d7a3e", 115)


def _bars(
    items: list[tuple[str, float]] | list[tuple[str, int]],
    labels: list[str],
    title: str,
    colour: str,
    right: float,
) -> str:
    """A horizontal bar a named value, the first on top, each with its label."""
    figure = Figure(figsize=(6.0, 0.5 * len(items) + 1.2))
    axes = figure.subplots()
    bars = axes.barh([name for name, _ in items][::-1], [v for _, v in items][::-1], color=colour)
    axes.bar_label(bars, labels=labels[::-1], padding=3)
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, right)
    return _svg(figure)


def progress(days: pd.DataFrame, title: str, say: Say) -> str:
    """Each day's quota as a grey bar with the new items attempted that day over it."""
    figure = Figure(figsize=(max(6.0, 0.32 * len(days) + 2), 3.2))
    axes = figure.subplots()
    labels = [f"{day:%m-%d}" if hasattr(day, "month") else str(day) for day in days["day"]]
    axes.bar(labels, days["quota"], 0.8, label=say("quota"), color=HOLDOUT[2])
    axes.bar(labels, days["attempted"], 0.5, label=say("attempted"), color=GROUPS[0][2])
    if days.empty:
        axes.text(0.5, 0.5, say("no lists yet"), ha="center", va="center", transform=axes.transAxes)
    axes.set_ylabel(say("items"))
    axes.set_title(title)
    axes.tick_params(axis="x", labelrotation=90 if len(labels) > 12 else 0)
    axes.legend(frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Without a Chinese font here matplotlib only measures the text less well: the
        # reader's browser draws it.
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        figure.tight_layout()
        figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prologue: the SVG goes inline in HTML


REASON_COLOURS = ("#0b62c4", "#1d7a3e", "#c47a0b", "#b3261e", "#6b4fa3", "#8a96a3", "#2a8c8c")


def reasons(table: pd.DataFrame, title: str, say: Say) -> str:
    """A horizontal bar a value of one campaign's reasons table (reasons.counted), the whole
    ("all") on top, split into each reason's share of that value's reasons."""
    values = list(dict.fromkeys(table["value"]))
    shares = table.pivot(index="value", columns="label", values="share").reindex(values)
    shares = shares[list(dict.fromkeys(table["label"]))].fillna(0.0) * 100
    names = [say(v) if v in ("all", "unknown") else str(v) for v in values][::-1]
    figure = Figure(figsize=(8.0, 0.42 * len(values) + 1.6))
    axes = figure.subplots()
    left = pd.Series(0.0, index=shares.index[::-1])
    for index, label in enumerate(shares.columns):
        widths = shares[label][::-1]
        colour = REASON_COLOURS[index % len(REASON_COLOURS)]
        axes.barh(names, widths, left=left, label=label, color=colour)
        left += widths
    axes.set_xlim(0, 100)
    axes.set_xlabel(say("share of the reasons given, %"))
    axes.set_title(title)
    axes.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def targets(items: list[tuple[str, float, float | None]], title: str, say: Say) -> str:
    """A horizontal bar a measure (name, value %, target %), green where it meets its target,
    red where it misses, grey without one; each target a black tick across its bar."""
    figure = Figure(figsize=(7.0, 0.5 * len(items) + 1.4))
    axes = figure.subplots()
    names = [name for name, _, _ in items][::-1]
    values = [value for _, value, _ in items][::-1]
    goals = [goal for _, _, goal in items][::-1]
    colours = [
        HOLDOUT[2] if goal is None else ("#1d7a3e" if value >= goal else "#b3261e")
        for value, goal in zip(values, goals, strict=True)
    ]
    bars = axes.barh(names, values, color=colours)
    axes.bar_label(bars, labels=[f"{value:.1f}%" for value in values], padding=3)
    for row, goal in enumerate(goals):
        if goal is not None:
            axes.plot([goal, goal], [row - 0.4, row + 0.4], color="#1d2733", linewidth=2)
    axes.set_xlim(0, max([115.0, *(v * 1.15 for v in values)]))
    axes.set_xlabel(say("value and target (tick), %"))
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def medians(names: list[str], middle: list[float], high: list[float], title: str, say: Say) -> str:
    """A horizontal bar a name: its median seconds, and a thin bar to its 90th percentile."""
    figure = Figure(figsize=(6.5, 0.32 * len(names) + 1.4))
    axes = figure.subplots()
    rows = list(range(len(names)))[::-1]
    axes.barh(rows, high, 0.25, color=HOLDOUT[2], label=say("90th percentile"))
    bars = axes.barh(rows, middle, 0.6, color=GROUPS[0][2], label=say("median"))
    axes.bar_label(bars, labels=[f"{value:.0f}" for value in middle], padding=3)
    axes.set_yticks(rows, names)
    axes.set_xlabel(say("seconds"))
    axes.set_title(title)
    axes.legend(frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)
