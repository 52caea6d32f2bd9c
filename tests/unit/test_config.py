from pathlib import Path

import pytest

from outbound.config import load_config
from outbound.errors import UserError

FIXTURE = Path(__file__).parent.parent / "fixtures" / "workspace"


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    return folder


MINIMAL = """
[extract]
line_id = "用户编号"
phone = "用户号码"
"""


def test_the_fixture_workspace_maps_chinese_headers_to_typed_columns() -> None:
    config = load_config(FIXTURE, environ={})
    schema = config.extract.column_types()
    assert schema["line_id"] == "str"
    assert schema["monthly_spend"] == "float"
    assert schema["install_date"] == "date"
    assert config.settings.timezone == "Asia/Shanghai"


def test_a_relative_sqlite_path_is_relative_to_the_workspace(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, MINIMAL), environ={})
    assert config.database_url == f"sqlite:///{tmp_path.resolve() / 'var' / 'engine.db'}"


def test_engine_database_url_overrides_the_config(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    config = load_config(write_config(tmp_path, MINIMAL), environ={"ENGINE_DATABASE_URL": url})
    assert config.database_url == url


def test_an_unknown_key_is_named_with_its_file(tmp_path: Path) -> None:
    write_config(tmp_path, MINIMAL + 'colour = "red"\n')
    with pytest.raises(UserError) as error:
        load_config(tmp_path, environ={})
    assert "config.toml" in str(error.value)
    assert "extract.colour: unknown key" in str(error.value)


def test_a_wrong_column_type_names_the_column_and_the_types_allowed(tmp_path: Path) -> None:
    write_config(
        tmp_path, MINIMAL + '[extract.columns]\n"月话费" = { name = "spend", type = "money" }\n'
    )
    with pytest.raises(UserError) as error:
        load_config(tmp_path, environ={})
    message = str(error.value)
    assert "extract.columns.月话费.type" in message
    assert "'money'" in message and "'float'" in message


def test_an_extract_needs_an_id_or_a_phone_column(tmp_path: Path) -> None:
    write_config(tmp_path, "[extract]\nmax_reject_share = 0.1\n")
    with pytest.raises(UserError, match=r"name line_id .*, phone, or both"):
        load_config(tmp_path, environ={})


def test_the_id_may_be_the_phone_column_or_absent(tmp_path: Path) -> None:
    write_config(tmp_path, '[extract]\nline_id = "手机号码"\nphone = "手机号码"\n')
    assert load_config(tmp_path, environ={}).extract.line_id == "手机号码"
    write_config(tmp_path, '[extract]\nphone = ["area code", "phone number"]\ncountry = "us"\n')
    extract = load_config(tmp_path, environ={}).extract
    assert extract.line_id is None and extract.phone_columns == ("area code", "phone number")
    assert extract.country == "US"


def test_an_unknown_country_or_a_chinese_area_code_without_its_0_is_refused(
    tmp_path: Path,
) -> None:
    write_config(tmp_path, '[extract]\nphone = "phone"\ncountry = "XX"\n')
    with pytest.raises(UserError, match=r"extract\.country: .*'XX' is not a country code"):
        load_config(tmp_path, environ={})
    write_config(tmp_path, '[extract]\nphone = "phone"\ndefault_area_code = "934"\n')
    with pytest.raises(UserError, match=r"a Chinese area code is written with its 0"):
        load_config(tmp_path, environ={})


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write_config(tmp_path, 'timezone = "Mars/Olympus"\n[extract]\nline_id = 5\ncountry = "ZZ"\n')
    with pytest.raises(UserError) as error:
        load_config(tmp_path, environ={})
    message = str(error.value)
    assert "3 problem(s)" in message
    assert "timezone" in message and "extract.line_id" in message and "extract.country" in message


def test_two_source_columns_may_not_share_a_name(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        MINIMAL
        + '[extract.columns]\n"月话费" = { name = "spend", type = "float" }\n'
        + '"话费" = { name = "spend", type = "float" }\n',
    )
    with pytest.raises(UserError, match="name 'spend' is given to both '月话费' and '话费'"):
        load_config(tmp_path, environ={})


def test_invalid_toml_says_where(tmp_path: Path) -> None:
    write_config(tmp_path, "[extract\n")
    with pytest.raises(UserError, match=r"config\.toml: not valid TOML.*line 1"):
        load_config(tmp_path, environ={})


def test_a_folder_without_config_says_how_to_name_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--workspace"):
        load_config(tmp_path, environ={})


def test_a_mapping_mistake_names_the_key_and_the_file_and_nothing_else(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        '[extract]\nline_id = "用户编号"\nphone = "用户号码"\n'
        '[extract.columns]\n"用户编号" = { name = "account", type = "str" }\n',
    )
    with pytest.raises(UserError) as error:
        load_config(tmp_path, environ={})
    assert str(error.value) == (
        f"{tmp_path / 'config.toml'}: 1 problem(s):\n"
        "  extract: source column '用户编号' is mapped twice"
    )


def test_header_false_wants_columns_named_by_position(tmp_path: Path) -> None:
    write_config(tmp_path, '[extract]\nheader = false\nline_id = "1"\nphone = "手机"\n')
    with pytest.raises(UserError, match=r"named by their position, \"1\" for the first: '手机'"):
        load_config(tmp_path, environ={})


def test_care_names_a_ticket_type_and_disposition_codes_that_exist(tmp_path: Path) -> None:
    write_config(tmp_path, MINIMAL + '\n[care]\noutcomes = ["unsatisfied", "angry"]\n')
    with pytest.raises(UserError) as error:
        load_config(tmp_path, environ={})
    assert "[care] type 'care' is no ticket type: add [tickets.care]" in str(error.value)
    write_config(
        tmp_path,
        MINIMAL + '\n[tickets.care]\ndeadline_hours = 48\n\n[care]\noutcomes = ["angry"]\n',
    )
    with pytest.raises(UserError) as error:
        load_config(tmp_path, environ={})
    assert "[care] outcomes angry are no [dispositions] codes" in str(error.value)


def test_quality_codes_targets_and_the_phone_grant_are_checked(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, MINIMAL), environ={})
    assert (config.targets.satisfaction, config.targets.reach) == (0.99, None)
    assert config.quality.repeat_days == (7, 30) and config.privacy.full_phone_roles == ()
    write_config(tmp_path, MINIMAL + '\n[quality]\nsatisfied = ["happy"]\n')
    with pytest.raises(UserError, match=r"\[quality\] codes happy are no \[dispositions\] codes"):
        load_config(tmp_path, environ={})
    write_config(tmp_path, MINIMAL + "\n[quality]\nrepeat_days = [30, 0]\n")
    with pytest.raises(UserError, match="repeat_days: one or more windows of at least 1 day"):
        load_config(tmp_path, environ={})
    write_config(tmp_path, MINIMAL + "\n[targets]\nsatisfaction = 99\n")
    with pytest.raises(UserError, match=r"targets\.satisfaction"):
        load_config(tmp_path, environ={})
    write_config(tmp_path, MINIMAL + '\n[privacy]\nfull_phone_roles = ["marketing"]\n')
    with pytest.raises(UserError, match=r"privacy\.full_phone_roles"):
        load_config(tmp_path, environ={})
    write_config(tmp_path, MINIMAL + '\n[assignment]\nbest_agents = "level"\n')
    with pytest.raises(UserError, match=r"assignment\.best_agents"):
        load_config(tmp_path, environ={})
