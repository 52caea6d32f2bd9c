"""Small extracts as the billing system writes them, for the tests."""

from pathlib import Path

HEADER = [
    "用户编号",
    "用户号码",
    "客户姓名",
    "区县",
    "状态",
    "入网日期",
    "月话费",
    "通话次数",
    "来电显示",
]

# A month of a small extract as the billing system writes it: Chinese headers and values,
# phone numbers in the forms operators really use.
OCTOBER = [
    ["QY0000000001", "0934-8211001", "张伟", "西峰区", "在用", "2019-03-15", "0.00", "0", "否"],
    ["QY0000000002", "13993412345", "王芳", "镇原县", "在用", "2024-01-02", "128.50", "42", "是"],
    ["QY0000000003", "8211003", "李娜", "环县", "在用", "20230701", "35.00", "0", "否"],
    ["QY0000000004", "+86 139 3412 0004", "刘洋", "庆城县", "停机", "2018/11/30", "0", "0", "否"],
    ["QY0000000005", "(0934)8211005", "陈静", "西峰区", "在用", "2026-10-08", "56.20", "7", "是"],
    ["QY0000000006", "09348211006", "赵磊", "镇原县", "在用", "2015-06-01", "210.00", "88", "是"],
]


def write_csv(
    path: Path,
    rows: list[list[str]],
    *,
    encoding: str = "gbk",
    header: list[str] = HEADER,
    delimiter: str = ",",
) -> Path:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path
