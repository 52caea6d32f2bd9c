"""The sample's ticket stream: the CRM's complaints, the fault system's closed repairs and the
installers' new lines, day by day on the extract's lines, received around the clock, a few lines
twice. Deterministic for a seed and a day, whatever range the day is drawn in. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from outbound.config import LINE_ID, PHONE, PHONE_TYPE
from outbound.orders.tickets import Ticket
from outbound.sample.billing import SEED

COMPLAINTS = (
    "宽带晚上经常掉线，看视频一直卡", "话费多扣了20元，要求退还", "营业厅办理业务等了一个多小时",
    "没订过彩铃，每月被扣5元", "家里手机信号只有一格，打电话断断续续", "办的300M宽带，测速只有50M",
    "约好上午上门装机，师傅一直没来", "套餐到期自动续约，没有提前通知", "10000号打了三次都没人接",
    "流量没用完就提示超出，怀疑计费有误", "IPTV经常黑屏，重启也没用", "已经销户了还在扣月租",
    "营业员态度不好，问什么都不解释", "固话有杂音，通话听不清", "宣传说送宽带，装完却要收费",
    "积分兑换的话费一直没到账", "没打过国际长途却被扣了长途费", "携号转网办不了，说有合约没到期",
    "充值100元只到账50元", "来电显示开通了却不显示号码", "老人不会用智能机，营业厅推销高价套餐",
    "宽带移机申请一周了还没处理",
)  # fmt: skip
FAULTS = (
    "光猫LOS红灯，已更换光猫", "入户光纤被老鼠咬断，已重新熔接", "分光器端口故障，已更换端口",
    "路由器配置丢失，已重新配置", "固话无拨号音，已更换入户线", "宽带拨号691，账号被锁，已解锁",
    "IPTV无信号，已更换机顶盒", "光衰过大（-28dBm），已清洁接头", "雷击损坏光猫，已更换",
    "网线水晶头氧化，已重做", "楼道交接箱跳线松动，已紧固", "室内线路老化，已重新布线",
)  # fmt: skip
INSTALLS = (
    "宽带新装完工，测速300M正常", "融合套餐新装，已装IPTV两台", "固话新装，已开通来电显示",
    "千兆宽带新装，已调试WiFi6路由器", "光纤新装入户，已告知使用注意事项",
)  # fmt: skip
# What a customer says the second time, a few days after a first ticket.
AGAIN = (
    "上次报修的宽带又断了", "前几天的投诉到现在没人联系", "修好后第二天又掉线了",
    "光猫换了还是亮红灯", "说好三天退费，到现在没到账", "第二次反映了，还是没解决",
)  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """A ticket type as the sample sends it: from SOURCE under ids starting PREFIX, about PER_DAY
    a day, received by the hour as WEIGHTS has it, about fixed lines only (a broadband or home
    phone matter) or any, with one of TEXTS, naming DEPARTMENT."""

    type: str
    source: str
    prefix: str
    per_day: float
    weights: tuple[float, ...]  # one a local hour, 0-23
    fixed_lines: bool
    texts: tuple[str, ...]
    department: str | None = None


# Customers complain mostly in the day and into the evening; repairs close while crews are out,
# now and then at night; installers finish in working hours.
KINDS = (
    Kind(
        "complaint", "crm", "CRM", 25,
        (1, .5, .3, .3, .3, .5, 1, 2, 5, 8, 9, 9, 7, 7, 8, 8, 7, 6, 5, 5, 4, 3, 2, 1.5),
        False, COMPLAINTS,
    ),
    Kind(
        "fault", "fault", "GZ", 15,
        (.3, .2, .2, .2, .2, .3, .5, 1, 3, 6, 8, 8, 6, 6, 8, 8, 7, 6, 4, 3, 2, 1, .5, .3),
        True, FAULTS, "装维部",
    ),
    Kind(
        "new_install", "install", "ZJ", 3,
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 3, 2, 2, 3, 3, 3, 2, 1, 0, 0, 0, 0, 0),
        True, INSTALLS,
    ),
)  # fmt: skip
# Of the customers whose ticket came in over the last AGAIN_DAYS days, about AGAIN_PER_DAY a day
# complain again: their second ticket goes to the agent who took the first (首问负责).
AGAIN_DAYS = 3
AGAIN_PER_DAY = 3
# A share of the CRM's complaints carry only the number the customer called from.
PHONE_ONLY = 0.2


def stream(
    lines: pd.DataFrame, first: dt.date, last: dt.date, tz: ZoneInfo, seed: int = SEED
) -> list[Ticket]:
    """The tickets received from FIRST through LAST on LINES (line_id, phone, phone_type, as an
    extract is loaded), in order of receipt."""
    return [t for day in pd.date_range(first, last).date for t in day_tickets(lines, day, tz, seed)]


def day_tickets(lines: pd.DataFrame, day: dt.date, tz: ZoneInfo, seed: int = SEED) -> list[Ticket]:
    """The tickets received on DAY, in order of receipt."""
    rng = np.random.default_rng([seed, day.toordinal(), 1])
    earlier = [
        t
        for back in range(1, AGAIN_DAYS + 1)
        for t in _first_tickets(lines, day - dt.timedelta(days=back), tz, seed)
    ]
    again = [earlier[i] for i in rng.permutation(len(earlier))[: rng.poisson(AGAIN_PER_DAY)]]
    times = _times(rng, day, len(again), KINDS[0].weights, tz)
    seconds = [
        Ticket(
            f"CRM-{day:%Y%m%d}-R{number:02d}",
            "crm",
            "complaint",
            ticket.line_id,
            ticket.phone,
            at,
            str(rng.choice(AGAIN)),
            None,
        )
        for number, (ticket, at) in enumerate(zip(again, times, strict=True), start=1)
    ]
    return sorted(_first_tickets(lines, day, tz, seed) + seconds, key=lambda t: t.received_at)


def _first_tickets(lines: pd.DataFrame, day: dt.date, tz: ZoneInfo, seed: int) -> list[Ticket]:
    rng = np.random.default_rng([seed, day.toordinal()])
    usable = lines[lines[PHONE].notna()]
    fixed = usable[usable[PHONE_TYPE] == "fixed"]
    tickets = []
    for kind in KINDS:
        pool = fixed if kind.fixed_lines else usable
        count = min(int(rng.poisson(kind.per_day)), len(pool))
        chosen = pool.iloc[rng.choice(len(pool), count, replace=False)]
        times = _times(rng, day, count, kind.weights, tz)
        texts = rng.choice(len(kind.texts), count)
        phone_only = rng.random(count) < (PHONE_ONLY if kind.source == "crm" else 0)
        for number, (line, phone, at, text, bare) in enumerate(
            zip(chosen[LINE_ID], chosen[PHONE], times, texts, phone_only, strict=True), start=1
        ):
            tickets.append(
                Ticket(
                    f"{kind.prefix}-{day:%Y%m%d}-{number:03d}",
                    kind.source,
                    kind.type,
                    None if bare else str(line),
                    str(phone) if bare or kind.source != "fault" else None,
                    at,
                    kind.texts[text],
                    kind.department,
                )
            )
    return tickets


def _times(
    rng: np.random.Generator, day: dt.date, count: int, weights: tuple[float, ...], tz: ZoneInfo
) -> list[dt.datetime]:
    shares = np.array(weights) / sum(weights)
    seconds = rng.choice(24, count, p=shares) * 3600 + rng.integers(0, 3600, count)
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return sorted(midnight + dt.timedelta(seconds=int(s)) for s in seconds)
