"""A month's results as one self-contained HTML page (styles and SVG charts inline): the lift
table, the success rates with their intervals, and each campaign's funnel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from outbound import charts, output
from outbound.results import Judged

TEMPLATES = Path(__file__).resolve().parent / "web" / "templates" / "report"


def figures(table: pd.DataFrame, judged: list[Judged]) -> dict[str, Any]:
    """The month's charts, ready to go inline in a template: the success rates of TABLE's rows,
    and each judged campaign's funnel."""
    return {
        "rates": Markup(charts.rates(table, "success rate with 95% intervals")),
        "funnels": [
            (j.campaign, Markup(charts.funnel(j.funnel(), f"{j.campaign}: segment to success")))
            for j in judged
        ],
    }


def page(month: str, judged_on: str, table: pd.DataFrame, judged: list[Judged], by: str) -> str:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
    title = f"Campaigns of {month} judged on {judged_on}"
    return environment.get_template("month.html").render(
        title=title, by=by, rows=output.records(table), **figures(table, judged)
    )
