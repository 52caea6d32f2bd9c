"""The steps of the closed loop as people name them: each event kind with the step it belongs
to (受理 take in, 派单 dispatch, 回单 reply, 追单 follow, 催单 urge, 退单 send back, 时限预警
deadline warning) and its own name, in Chinese and English."""

from __future__ import annotations

# kind: (step in Chinese, name in Chinese, name in English)
STEPS: dict[str, tuple[str, str, str]] = {
    "received": ("受理", "受理", "taken in"),
    "created": ("受理", "生成工单", "created"),
    "dispatched": ("派单", "派单", "dispatched"),
    "assigned": ("派单", "派单", "assigned"),
    "escalated": ("派单", "转派部门", "escalated to a department"),
    "forwarded": ("派单", "转其他部门", "forwarded to another department"),
    "replied": ("回单", "部门回单", "department replied"),
    "recall": ("追单", "再回访", "re-callback"),
    "outcome": ("追单", "回访结果", "outcome"),
    "undone": ("追单", "撤销结果", "outcome undone"),
    "reopened": ("追单", "重新打开", "reopened"),
    "urged": ("催单", "催单", "urged"),
    "returned": ("退单", "退回", "given back"),
    "sent_back": ("退单", "部门退单", "sent back by the department"),
    "warned": ("时限预警", "时限预警", "deadline warning"),
    "escalated_up": ("时限预警", "超时升级", "overdue, escalated up"),
    "expired": ("时限预警", "超时关闭", "expired"),
    "closed": ("结案", "结案", "closed"),
    "sent": ("派单", "已发送", "sent"),
}


def step(kind: str) -> str:
    """The step KIND belongs to, as a Chinese call center names it (the same in English: the
    seven steps are the trade's own words)."""
    return STEPS[kind][0] if kind in STEPS else kind


def named(kind: str, language: str = "zh") -> str:
    """KIND's own name in LANGUAGE."""
    if kind not in STEPS:
        return kind
    return STEPS[kind][1] if language == "zh" else STEPS[kind][2]
