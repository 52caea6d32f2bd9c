"""Script rendering throughput: Scripts.render_many against a bare jinja2 Template.render of
the same call script and contexts (target: at least 0.75 of its renders per second).

PYTHONPATH=. .venv/bin/python -c "from bench.render import run; run()"
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from bench import median_time
from outbound.workspace.render import Scripts, date_cn, phone_tail, yuan

OUT = Path(__file__).resolve().parent / "out"
FILTERS = {"yuan": yuan, "phone_tail": phone_tail, "date_cn": date_cn}

SCRIPT = """\
{{ customer.customer_name }}您好，我是中国电信{{ customer.region }}分公司客服{{ agent.name }}，\
工号{{ agent.agent_id }}。
{% if campaign.channel == "call" %}
今天给您来电是关于“{{ campaign.title }}”的回访。
{% endif %}
您的号码{{ customer.phone | phone_tail }}（{{ customer.plan }}）\
自{{ customer.install_date | date_cn }}开通，感谢您一直以来的支持。
我们注意到您近30天通话{{ customer.calls_30d }}次，本月话费{{ customer.monthly_spend | yuan }}，\
上月{{ prev.monthly_spend | yuan }}。
{% if customer.complaints %}
您于{{ customer.last_complaint_at | date_cn }}反映的问题已经处理，请问现在使用是否正常？
{% endif %}
{% if not customer.caller_id %}
现在开通来电显示首月免费，之后每月6元，需要为您办理吗？
{% endif %}
如有需要请拨打10000，祝您生活愉快！
"""

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]
REGIONS = ["庆阳", "兰州", "天水", "平凉", "白银"]
PLANS = ["天翼畅享39元", "天翼畅享59元", "家家e 129元", "5G融合199元"]
AGENTS = [
    {"agent_id": "A017", "name": "李娜", "team": "庆阳一组"},
    {"agent_id": "A023", "name": "王磊", "team": "庆阳一组"},
    {"agent_id": "B004", "name": "赵静", "team": "兰州二组"},
]
CAMPAIGN = {"name": "zero_usage", "title": "零次户唤醒回访", "channel": "call"}


def _line(rng: random.Random, line_id: int) -> dict[str, Any]:
    complaints = rng.choice([0, 0, 0, 1, 2])
    return {
        "line_id": f"L{line_id:08d}",
        "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        "customer_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "region": rng.choice(REGIONS),
        "plan": rng.choice(PLANS),
        "status": "active",
        "install_date": dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2800)),
        "monthly_spend": round(rng.uniform(9, 260), 2),
        "calls_30d": rng.choice([0, 0, 1, 3, 12]),
        "minutes_30d": rng.randrange(400),
        "caller_id": rng.random() < 0.6,
        "complaints": complaints,
        "last_complaint_at": (
            dt.datetime(2026, 10, 1, 9) + dt.timedelta(minutes=rng.randrange(43_000))
            if complaints
            else None
        ),
        "fault_reports": rng.choice([0, 0, 1]),
    }


def contexts(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """COUNT items as the daily run passes them: plain dicts, one in twenty lines new this
    month (`prev` all None)."""
    rng = random.Random(seed)
    items = []
    for number in range(count):
        customer = _line(rng, number)
        previous = _line(rng, number)
        if rng.random() < 0.05:
            previous = dict.fromkeys(previous)
        items.append(
            {
                "customer": customer,
                "prev": previous,
                "agent": rng.choice(AGENTS),
                "campaign": CAMPAIGN,
            }
        )
    return items


def run(renders: int = 100_000) -> None:
    folder = OUT / "render" / "scripts"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "call.j2").write_text(SCRIPT, encoding="utf-8")
    scripts = Scripts(folder)
    items = contexts(renders)

    options: dict[str, Any] = {"trim_blocks": True, "lstrip_blocks": True}
    plain = jinja2.Environment(**options)
    plain.filters.update(FILTERS)
    bare = plain.from_string(SCRIPT)
    sandbox = SandboxedEnvironment(undefined=jinja2.StrictUndefined, **options)
    sandbox.filters.update(FILTERS)
    stock = sandbox.from_string(SCRIPT)

    ours = scripts.render_many("call.j2", items)
    assert ours == [bare.render(**item) for item in items], "render_many renders differently"

    bare_time = median_time(3, lambda: [bare.render(**item) for item in items])
    stock_time = median_time(3, lambda: [stock.render(**item) for item in items])
    ours_time = median_time(3, lambda: scripts.render_many("call.j2", items))

    print(f"{renders:,} renders of a {SCRIPT.count(chr(10))}-line call script, median of 3")
    print(f"  jinja2 Template.render            {renders / bare_time:10,.0f} renders/s")
    print(
        f"  stock sandbox Template.render     {renders / stock_time:10,.0f} renders/s"
        f"   = {bare_time / stock_time:.2f} of bare"
    )
    print(
        f"  Scripts.render_many               {renders / ours_time:10,.0f} renders/s"
        f"   = {bare_time / ours_time:.2f} of bare (target 0.75)"
    )
