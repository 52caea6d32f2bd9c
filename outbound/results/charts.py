"""Charts of a month's results as SVG text (matplotlib), to paste into a monthly report or show
on a page: success rates with their 95% intervals, daily progress against quota, a funnel
from segment to success, and shares such as the tickets closed within their limits. Their
words come through SAY, the reader's translator."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

# Text stays text in the SVG: the browser draws the Chinese with its own fonts.
plt.rcParams["svg.fonttype"] = "none"
plt.rcParams["font.family"] = ["sans-serif"]
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
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prologue: the SVG goes inline in HTML
