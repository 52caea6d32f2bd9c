"""Call scripts: rendering in the sandbox, the staff's filters, errors that name the script's
line, and checking a script without rendering it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound.workspace.render import ScriptError, Scripts, date_cn, phone_tail, yuan

COLUMNS = [
    "line_id",
    "phone",
    "customer_name",
    "region",
    "plan",
    "status",
    "install_date",
    "monthly_spend",
    "calls_30d",
    "minutes_30d",
    "caller_id",
    "complaints",
    "last_complaint_at",
    "fault_reports",
]

ZERO_USAGE_CALL = """\
{{ customer.customer_name }}您好，我是中国电信客服{{ agent.name }}（{{ agent.team }}）。
您的号码{{ customer.phone | phone_tail }}自{{ customer.install_date | date_cn }}开通，\
近30天没有通话，上月话费{{ prev.monthly_spend | yuan }}。
{% if customer.complaints %}
您{{ customer.last_complaint_at | date_cn }}的投诉我们已经处理。
{% endif %}
本次是“{{ campaign.title }}”回访。
"""


def line(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "line_id": "L00000001",
        "phone": "13812345678",
        "customer_name": "张伟",
        "region": "庆阳",
        "plan": "天翼畅享39元",
        "status": "active",
        "install_date": dt.date(2023, 4, 1),
        "monthly_spend": 0.0,
        "calls_30d": 0,
        "minutes_30d": 0,
        "caller_id": False,
        "complaints": 0,
        "last_complaint_at": None,
        "fault_reports": 0,
    }
    return values | changes


def item(**customer: Any) -> dict[str, Any]:
    return {
        "customer": line(**customer),
        "prev": line(monthly_spend=35.5),
        "agent": {"agent_id": "A017", "name": "李娜", "team": "庆阳一组"},
        "campaign": {"name": "zero_usage", "title": "零次户唤醒", "channel": "call"},
    }


def scripts_with(folder: Path, **files: str) -> Scripts:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.j2").write_text(text, encoding="utf-8")
    return Scripts(folder)


@pytest.fixture
def scripts(tmp_path: Path) -> Scripts:
    return scripts_with(tmp_path / "scripts", zero_usage_call=ZERO_USAGE_CALL)


def test_a_script_renders_the_four_variables_through_the_filters(scripts: Scripts) -> None:
    text = scripts.render("zero_usage_call.j2", item())
    assert text == (
        "张伟您好，我是中国电信客服李娜（庆阳一组）。\n"
        "您的号码尾号5678自2023年4月1日开通，近30天没有通话，上月话费35.50元。\n"
        "本次是“零次户唤醒”回访。"
    )


def test_a_block_that_applies_adds_its_line_and_no_blank_ones(scripts: Scripts) -> None:
    complained = item(complaints=1, last_complaint_at=dt.datetime(2026, 10, 31, 9, 30))
    lines = scripts.render("zero_usage_call.j2", complained).splitlines()
    assert lines[2] == "您2026年10月31日的投诉我们已经处理。"
    assert "" not in lines


def test_a_missing_value_shows_as_a_dash_printed_or_filtered(tmp_path: Path) -> None:
    scripts = scripts_with(
        tmp_path / "scripts",
        sms="{{ customer.region }}/{{ customer.monthly_spend | yuan }}/"
        "{{ customer.phone | phone_tail }}/{{ customer.install_date | date_cn }}\n",
    )
    missing = item(region=None, monthly_spend=None, phone=None, install_date=None)
    assert scripts.render("sms.j2", missing) == "—/—/—/—"


def test_a_line_absent_last_month_renders_its_prev_values_as_dashes(scripts: Scripts) -> None:
    new_line = item() | {"prev": dict.fromkeys(COLUMNS)}
    assert "上月话费—。" in scripts.render("zero_usage_call.j2", new_line)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(35.5, "35.50元"), (0, "0.00元"), (1234.567, "1234.57元"), (None, "—"), (float("nan"), "—")],
)
def test_yuan_shows_two_decimals_and_a_dash_for_nothing(amount: float | None, shown: str) -> None:
    assert yuan(amount) == shown


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("13812345678", "尾号5678"),
        ("+86 138-1234-5678", "尾号5678"),
        ("0934-8123456", "尾号3456"),
        (13812345678, "尾号5678"),
        ("", "—"),
        (None, "—"),
    ],
)
def test_phone_tail_keeps_the_last_four_digits(phone: str | None, shown: str) -> None:
    assert phone_tail(phone) == shown


@given(st.text(alphabet="0123456789", min_size=4, max_size=20))
def test_phone_tail_of_any_number_is_its_last_four_digits(digits: str) -> None:
    assert phone_tail(digits) == f"尾号{digits[-4:]}"


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (dt.date(2026, 10, 31), "2026年10月31日"),
        (dt.datetime(2026, 1, 5, 23, 59), "2026年1月5日"),
        (None, "—"),
    ],
)
def test_date_cn_writes_a_date_the_chinese_way(day: dt.date | None, shown: str) -> None:
    assert date_cn(day) == shown


def test_output_is_plain_text_not_html_escaped(tmp_path: Path) -> None:
    scripts = scripts_with(tmp_path / "scripts", sms="{{ customer.plan }}\n")
    assert scripts.render("sms.j2", item(plan="<家家e> & 宽带")) == "<家家e> & 宽带"


def test_only_a_single_trailing_newline_is_dropped(tmp_path: Path) -> None:
    scripts = scripts_with(tmp_path / "scripts", one="您好\n", two="您好\n\n")
    assert scripts.render("one.j2", item()) == "您好"
    assert scripts.render("two.j2", item()) == "您好\n"


def test_a_column_missing_at_render_names_the_script_line_and_variable(tmp_path: Path) -> None:
    scripts = scripts_with(tmp_path / "scripts", sms="您好\n{{ customer.plan_name }}\n")
    with pytest.raises(ScriptError) as caught:
        scripts.render("sms.j2", item())
    assert "scripts/sms.j2: line 2:" in caught.value.message
    assert "customer.plan_name" in caught.value.message
    assert "dict object" not in caught.value.message


def test_an_unknown_variable_at_render_is_named_with_what_a_script_can_use(
    tmp_path: Path,
) -> None:
    scripts = scripts_with(tmp_path / "scripts", sms="您好\n\n{{ user.name }}\n")
    with pytest.raises(ScriptError, match=r"sms\.j2: line 3: unknown variable 'user'.*customer"):
        scripts.render("sms.j2", item())


def test_the_sandbox_refuses_python_internals_with_a_script_error(tmp_path: Path) -> None:
    scripts = scripts_with(
        tmp_path / "scripts",
        dunder="{{ customer.__class__ }}\n",
        deeper="您好\n{{ agent.name.__class__.__mro__ }}\n",
        escape="{{ ''.__class__.__mro__[1].__subclasses__() }}\n",
    )
    with pytest.raises(ScriptError, match=r"dunder\.j2: line 1: .*refuses 'customer\.__class__'"):
        scripts.render("dunder.j2", item())
    with pytest.raises(ScriptError, match=r"deeper\.j2: line 2: .*refuses"):
        scripts.render("deeper.j2", item())
    with pytest.raises(ScriptError, match=r"escape\.j2: line 1: .*refuses"):
        scripts.render("escape.j2", item())


def test_a_filter_given_the_wrong_kind_of_value_names_the_line(tmp_path: Path) -> None:
    scripts = scripts_with(tmp_path / "scripts", sms="您好\n{{ customer.region | yuan }}\n")
    with pytest.raises(ScriptError, match=r"sms\.j2: line 2: .*yuan needs a number, not '庆阳'"):
        scripts.render("sms.j2", item())


def test_an_error_in_an_included_script_names_that_script(tmp_path: Path) -> None:
    scripts = scripts_with(
        tmp_path / "scripts",
        greeting="{{ customer.customer_name }}您好\n{{ agent.nick }}\n",
        call="{% include 'greeting.j2' %}\n请问方便通话吗？\n",
    )
    with pytest.raises(ScriptError, match=r"greeting\.j2: line 2: 'agent\.nick'"):
        scripts.render("call.j2", item())


def test_rendering_a_script_with_a_syntax_error_names_its_line(tmp_path: Path) -> None:
    scripts = scripts_with(tmp_path / "scripts", sms="您好\n{% if customer.complaints %}\n")
    with pytest.raises(ScriptError, match=r"sms\.j2: line \d: syntax error"):
        scripts.render("sms.j2", item())


def test_rendering_a_missing_script_suggests_the_closest_name(scripts: Scripts) -> None:
    with pytest.raises(ScriptError, match=r"zero_usage_cal\.j2: no such script file.*zero_usage"):
        scripts.render("zero_usage_cal.j2", item())


def test_render_many_equals_render_for_each_context(scripts: Scripts) -> None:
    items = [
        item(),
        item(customer_name="王芳", phone="+86 139 0000 1234", monthly_spend=88.8),
        item(complaints=2, last_complaint_at=dt.datetime(2026, 9, 1, 8)),
        item(install_date=None, region=None),
    ]
    assert scripts.render_many("zero_usage_call.j2", items) == [
        scripts.render("zero_usage_call.j2", one) for one in items
    ]


def test_render_many_of_no_contexts_is_empty(scripts: Scripts) -> None:
    assert scripts.render_many("zero_usage_call.j2", []) == []


def test_an_edited_script_is_rendered_as_edited(tmp_path: Path) -> None:
    scripts = scripts_with(tmp_path / "scripts", sms="旧文本\n")
    assert scripts.render("sms.j2", item()) == "旧文本"
    path = tmp_path / "scripts" / "sms.j2"
    path.write_text("新文本\n", encoding="utf-8")
    later = path.stat().st_mtime + 5
    os.utime(path, (later, later))
    assert scripts.render("sms.j2", item()) == "新文本"


def test_names_lists_the_scripts_and_skips_hidden_and_editor_files(tmp_path: Path) -> None:
    folder = tmp_path / "scripts"
    scripts = scripts_with(folder, upsell_sms="x", zero_usage_call="y")
    for junk in (".gitkeep", ".zero_usage_call.j2.swp", "#upsell_sms.j2#", "upsell_sms.j2~"):
        (folder / junk).write_text("z", encoding="utf-8")
    assert scripts.names() == ["upsell_sms.j2", "zero_usage_call.j2"]


def test_a_clean_script_has_no_problems(scripts: Scripts) -> None:
    assert scripts.check("zero_usage_call.j2", COLUMNS) == []


def test_check_reports_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    scripts = scripts_with(tmp_path / "scripts", sms="您好\n{{ customer.phone | }}\n")
    [problem] = scripts.check("sms.j2", COLUMNS)
    assert problem.startswith("scripts/sms.j2: line 2: syntax error")


def test_check_reports_an_unknown_column_with_the_closest_one(tmp_path: Path) -> None:
    scripts = scripts_with(
        tmp_path / "scripts", sms="您好\n{{ customer.monthly_spent | yuan }}{{ prev.plna }}\n"
    )
    assert scripts.check("sms.j2", COLUMNS) == [
        "scripts/sms.j2: line 2: 'customer.monthly_spent' is not a column of the extract "
        f"(did you mean 'monthly_spend'?); customer has {', '.join(sorted(COLUMNS))}",
        "scripts/sms.j2: line 2: 'prev.plna' is not a column of the extract "
        f"(did you mean 'plan'?); prev has {', '.join(sorted(COLUMNS))}",
    ]


def test_check_reports_an_unknown_variable_once_at_its_first_line(tmp_path: Path) -> None:
    scripts = scripts_with(
        tmp_path / "scripts", sms="{{ range(3) | list }}\n{{ customers.phone }}\n{{ customers }}\n"
    )
    [problem] = scripts.check("sms.j2", COLUMNS)
    assert problem.startswith(
        "scripts/sms.j2: line 2: unknown variable 'customers' (did you mean 'customer'?)"
    )


def test_check_reports_unknown_agent_and_campaign_fields(tmp_path: Path) -> None:
    scripts = scripts_with(
        tmp_path / "scripts",
        sms="{{ agent.agent_name }}\n{{ campaign['channel'] }}{{ campaign.tile }}\n",
    )
    assert scripts.check("sms.j2", COLUMNS) == [
        "scripts/sms.j2: line 1: 'agent.agent_name' is not a field (did you mean 'agent_id'?); "
        "agent has agent_id, name, team",
        "scripts/sms.j2: line 2: 'campaign.tile' is not a field (did you mean 'title'?); "
        "campaign has channel, name, title",
    ]


def test_check_reports_unknown_filters_and_tests_and_underscore_names(tmp_path: Path) -> None:
    scripts = scripts_with(
        tmp_path / "scripts",
        sms="{{ customer.monthly_spend | yaun }}\n{{ agent.__class__ }}\n"
        "{% if customer.calls_30d is zero %}{% endif %}\n",
    )
    first, second, third = scripts.check("sms.j2", COLUMNS)
    assert first.startswith("scripts/sms.j2: line 1: unknown filter 'yaun' (did you mean 'yuan'?)")
    assert second.startswith("scripts/sms.j2: line 2: '__class__' is refused by the sandbox")
    assert third.startswith("scripts/sms.j2: line 3: unknown test 'is zero'")


def test_check_reports_a_missing_script_file(scripts: Scripts) -> None:
    assert scripts.check("upsell_sms.j2", COLUMNS) == [
        "scripts/upsell_sms.j2: no such script file; the scripts are zero_usage_call.j2"
    ]
