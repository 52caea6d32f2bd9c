"""The same rule selects the same lines as a pandas mask and as SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outbound.extract.convert import ARROW_TYPES
from outbound.rules import compile_rule, select_line_ids
from tests.schemas import SCHEMA

SQL_TYPES: dict[str, Any] = {
    "str": sa.String,
    "category": sa.String,
    "int": sa.BigInteger,
    "float": sa.Float,
    "bool": sa.Boolean,
    "date": sa.Date,
    "datetime": sa.DateTime,
}
AS_OF = dt.date(2026, 3, 31)
NAMES = [
    "张伟",
    "王芳",
    "李娜",
    "张敏",
    "王静",
    "刘洋",
    "VIP 陈杰",
    "vip 赵磊",
    "50%优惠户",
    "a_b",
    "axb",
]
REGIONS = ["镇原县", "环县", "西峰区", "庆城县", "宁县"]


def frame(schema: dict[str, Any], columns: dict[str, list[Any]]) -> pd.DataFrame:
    arrays = {name: pa.array(values, ARROW_TYPES[schema[name]]) for name, values in columns.items()}
    return pa.table(arrays).to_pandas(types_mapper=pd.ArrowDtype)


def maybe(rng: random.Random, value: Any, null_share: float = 0.08) -> Any:
    return None if rng.random() < null_share else value


def extract(rng: random.Random, line_ids: list[str]) -> pd.DataFrame:
    """A month of a billing extract: Chinese text, zero-usage lines, and nulls everywhere."""
    start = dt.date(2015, 1, 1)
    columns: dict[str, list[Any]] = {
        "line_id": line_ids,
        "phone": [f"1390934{rng.randrange(10**4):04d}" for _ in line_ids],
        "status": [maybe(rng, rng.choice(["active"] * 4 + ["停机", "销户"])) for _ in line_ids],
        "region": [maybe(rng, rng.choice(REGIONS)) for _ in line_ids],
        "customer_name": [maybe(rng, rng.choice(NAMES)) for _ in line_ids],
        "calls_30d": [maybe(rng, rng.choice([0, 0, 0, 1, 5, 30, 120])) for _ in line_ids],
        "monthly_spend": [maybe(rng, round(rng.uniform(0, 300), 2)) for _ in line_ids],
        "caller_id": [maybe(rng, rng.random() < 0.5) for _ in line_ids],
        "install_date": [
            maybe(rng, start + dt.timedelta(days=rng.randrange(4100))) for _ in line_ids
        ],
        "last_complaint": [
            maybe(
                rng,
                dt.datetime(2026, 1, 1) + dt.timedelta(seconds=rng.randrange(90 * 86400)),
                0.6,
            )
            for _ in line_ids
        ],
    }
    return frame(SCHEMA, columns)


def two_months() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = random.Random(2026)
    lines = [f"L{i:04d}" for i in range(400)]
    earlier = [line for line in lines if rng.random() < 0.85] + [f"X{i:03d}" for i in range(30)]
    return extract(rng, lines), extract(rng, earlier)


CURRENT, PREVIOUS = two_months()

REALISTIC_RULES = [
    "status == 'active' and calls_30d == 0 and months_since(install_date) >= 3",
    "status == 'active' and calls_30d == 0 and prev.calls_30d == 0",
    "monthly_spend > 100 and caller_id",
    "monthly_spend < prev.monthly_spend * 0.7",
    "(monthly_spend - prev.monthly_spend) / prev.monthly_spend < -0.3",
    "region in ['镇原县', '环县']",
    "region not in ['镇原县', '环县'] and not caller_id",
    "contains(customer_name, '张') or startswith(customer_name, '王')",
    "contains(customer_name, 'VIP')",
    "contains(customer_name, '%') or startswith(customer_name, 'a_')",
    "is_null(prev.monthly_spend) and status == 'active'",
    "not (calls_30d > 0 and caller_id)",
    "calls_30d > 0 or caller_id",
    "monthly_spend / calls_30d > 20",
    "not (monthly_spend / calls_30d > 20)",
    "days_since(last_complaint) <= 30 and status != '销户'",
    "last_complaint >= date('2026-03-01') or install_date < date('2016-01-01')",
    "3 <= months_since(install_date) < 12",
    "not status in ['停机', '销户']",
    "calls_30d / 2 in [0.5, 2.5, 15]",
    "months_since(last_complaint) == 0 and days_since(install_date) > 365 * 5",
    "prev.region != region",
]


def load(engine: sa.Engine, name: str, data: pd.DataFrame, schema: dict[str, Any]) -> sa.Table:
    metadata = sa.MetaData()
    columns = [sa.Column(column, SQL_TYPES[schema[column]]) for column in data.columns]
    table = sa.Table(name, metadata, *columns)
    metadata.create_all(engine)
    rows = pa.Table.from_pandas(data, preserve_index=False).to_pylist()
    with engine.begin() as connection:
        connection.execute(table.delete())
        if rows:
            connection.execute(table.insert(), rows)
    return table


def in_pandas(mask: pd.Series, data: pd.DataFrame) -> set[str]:
    return set(data.loc[mask, "line_id"])


def in_sql(engine: sa.Engine, query: sa.Select[Any]) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(query).scalars())


@pytest.mark.parametrize("text", REALISTIC_RULES)
def test_a_realistic_rule_selects_the_same_lines_in_pandas_and_sql(
    database: sa.Engine, text: str
) -> None:
    current = load(database, "extract_current", CURRENT, SCHEMA)
    previous = load(database, "extract_previous", PREVIOUS, SCHEMA)
    rule = compile_rule(text, SCHEMA)
    expected = in_pandas(rule.mask(CURRENT, PREVIOUS, AS_OF), CURRENT)
    assert 0 < len(expected) < len(CURRENT)  # the data exercises the rule both ways
    assert in_sql(database, select_line_ids(rule, current, previous, AS_OF)) == expected


@pytest.mark.parametrize("text", [rule for rule in REALISTIC_RULES if "prev." in rule])
def test_without_last_month_prev_is_null_in_pandas_and_sql_alike(
    database: sa.Engine, text: str
) -> None:
    current = load(database, "extract_current", CURRENT, SCHEMA)
    rule = compile_rule(text, SCHEMA)
    expected = in_pandas(rule.mask(CURRENT, None, AS_OF), CURRENT)
    assert in_sql(database, select_line_ids(rule, current, None, AS_OF)) == expected


def test_the_clause_works_on_aliases_of_one_table(database: sa.Engine) -> None:
    data = frame(
        {"line_id": "str", "calls_30d": "int"},
        {"line_id": ["A", "A", "B"], "calls_30d": [0, 0, 0]},
    ).assign(month=pd.array(["2026-03", "2026-02", "2026-03"], dtype=pd.ArrowDtype(pa.string())))
    table = load(
        database, "extract_rows", data, {"line_id": "str", "calls_30d": "int", "month": "str"}
    )
    current = table.select().where(table.c.month == "2026-03").subquery("current")
    previous = table.select().where(table.c.month == "2026-02").subquery("previous")
    rule = compile_rule("calls_30d == 0 and prev.calls_30d == 0", {"calls_30d": "int"})
    assert in_sql(database, select_line_ids(rule, current, previous, AS_OF)) == {"A"}


P_SCHEMA: dict[str, Any] = {
    "line_id": "str",
    "plan": "str",
    "calls": "int",
    "spend": "float",
    "vip": "bool",
    "installed": "date",
    "complained": "datetime",
}
P_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "plan": st.sampled_from(["gold", "Gold", "银卡", "g%ld", "go_d", "", None]),
    "calls": st.one_of(st.none(), st.integers(-3, 40)),
    "spend": st.one_of(st.none(), st.floats(-100, 100).map(lambda value: round(value, 2))),
    "vip": st.one_of(st.none(), st.booleans()),
    "installed": st.one_of(st.none(), st.dates(dt.date(2019, 1, 1), dt.date(2026, 12, 31))),
    "complained": st.one_of(
        st.none(),
        st.datetimes(dt.datetime(2019, 1, 1), dt.datetime(2026, 12, 31)).map(
            lambda value: value.replace(microsecond=0)
        ),
    ),
}
LINE_IDS = [f"L{i}" for i in range(10)]


@st.composite
def months(draw: st.DrawFn, ids: st.SearchStrategy[list[str]]) -> pd.DataFrame:
    line_ids = draw(ids)
    size = len(line_ids)
    columns = {
        name: draw(st.lists(values, min_size=size, max_size=size))
        for name, values in P_VALUES.items()
    }
    return frame(P_SCHEMA, {"line_id": line_ids, **columns})


def numbers() -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(["calls", "spend", "prev.calls", "prev.spend"]),
        st.integers(-3, 3).map(str),
        st.sampled_from(["0.5", "2.5", "-1.25", "0.0"]),
        st.sampled_from(
            [
                "months_since(installed)",
                "days_since(complained)",
                "months_since(prev.complained)",
                "days_since(installed)",
            ]
        ),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
                lambda parts: f"({' '.join(parts)})"
            ),
            inner.map(lambda expression: f"-{expression}"),
        ),
        max_leaves=4,
    )


COMPARISONS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
TEXTS = st.sampled_from(["plan", "prev.plan", "'gold'", "'Gold'", "'银卡'"])


def in_list(operand: str, negated: bool, values: list[str]) -> str:
    return f"{operand} {'not in' if negated else 'in'} [{', '.join(values)}]"


def conditions() -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.builds("{} {} {}".format, numbers(), COMPARISONS, numbers()),
        st.builds(
            "{} {} {} {} {}".format, numbers(), COMPARISONS, numbers(), COMPARISONS, numbers()
        ),
        st.builds("{} {} {}".format, TEXTS, st.sampled_from(["==", "!="]), TEXTS),
        st.builds(
            in_list,
            numbers(),
            st.booleans(),
            st.lists(st.sampled_from(["0", "1", "-2", "2.5"]), min_size=1, max_size=3),
        ),
        st.builds(
            in_list,
            TEXTS,
            st.booleans(),
            st.lists(st.sampled_from(["'gold'", "'银卡'", "''"]), min_size=1, max_size=3),
        ),
        st.sampled_from(["vip", "prev.vip", "vip == True", "vip != False", "True", "False"]),
        st.builds(
            "is_null({})".format,
            st.one_of(numbers(), TEXTS, st.sampled_from(["vip", "installed", "prev.complained"])),
        ),
        st.builds(
            "{}({}, {})".format,
            st.sampled_from(["contains", "startswith"]),
            st.sampled_from(["plan", "prev.plan"]),
            st.sampled_from(["'ol'", "'G'", "'%'", "'_'", "'银'", "''", "'g%'"]),
        ),
        st.builds(
            "{} {} date('{}')".format,
            st.sampled_from(["installed", "complained", "prev.installed"]),
            COMPARISONS,
            st.dates(dt.date(2019, 1, 1), dt.date(2026, 12, 31)),
        ),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            inner.map("not ({})".format),
            st.builds("({}) {} ({})".format, inner, st.sampled_from(["and", "or"]), inner),
        ),
        max_leaves=5,
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=conditions(),
    current_data=months(st.integers(0, 8).map(lambda size: LINE_IDS[:size])),
    previous_data=st.one_of(
        st.none(), months(st.lists(st.sampled_from(LINE_IDS), unique=True, max_size=8))
    ),
)
def test_generated_rules_select_the_same_lines_in_pandas_and_sql(
    database: sa.Engine, text: str, current_data: pd.DataFrame, previous_data: pd.DataFrame | None
) -> None:
    rule = compile_rule(text, P_SCHEMA)
    current = load(database, "month_current", current_data, P_SCHEMA)
    previous = None
    if previous_data is not None:
        previous = load(database, "month_previous", previous_data, P_SCHEMA)
    expected = in_pandas(rule.mask(current_data, previous_data, AS_OF), current_data)
    assert in_sql(database, select_line_ids(rule, current, previous, AS_OF)) == expected
