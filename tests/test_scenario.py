"""Unit tests of sim.scenario: loading, ``extends`` and strict validation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cities import SIZE_CLASSES
from sim.policies import REGISTRY
from sim.scenario import Scenario, ScenarioError, load_scenario

PROJECT = Path(__file__).resolve().parent.parent
SCENARIOS = PROJECT / "scenarios"
STATUS_QUO = SCENARIOS / "status_quo.toml"
PLAN = SCENARIOS / "plan.toml"


# ---------------------------------------------------------------- helpers


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def with_status_quo(folder: Path) -> Path:
    """Copy the shipped status quo into ``folder`` so files there can extend it."""
    return Path(shutil.copy(STATUS_QUO, folder / "status_quo.toml"))


def child(folder: Path, body: str, name: str = "child.toml") -> Path:
    """A scenario in ``folder`` extending the shipped status quo, plus ``body``."""
    with_status_quo(folder)
    return write(folder, name, 'extends = "status_quo.toml"\n' + body)


def expect_error(path: Path, key: str, *fragments: str) -> ScenarioError:
    """Load ``path``; assert a ScenarioError naming the file, ``key`` and what was expected."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    message = str(err)
    assert Path(err.path).name == path.name
    assert path.name in message
    assert err.key == key
    if key:
        assert f": {key}: " in message
    assert "expected" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return err


# ---------------------------------------------------------------- shipped scenarios


def test_status_quo_loads():
    sq = load_scenario(STATUS_QUO)
    assert isinstance(sq, Scenario)
    assert sq.name == "status_quo"
    assert (sq.start_year, sq.end_year, sq.agents, sq.seed) == (2020, 2025, 200_000, 20200)
    assert list(sq.years) == list(range(2020, 2026))
    assert sq.policy_settings == {}
    assert sq.build_policies() == []
    assert set(sq.rules) == set(SIZE_CLASSES)
    assert sq.rules["super_large"].kind == "points"
    assert sq.rules["super_large"].min_insurance_years == 7
    assert sq.rules["large_1"].kind == "conditions"
    assert sq.rules["county"].kind == "open"


def test_plan_extends_status_quo():
    sq = load_scenario(STATUS_QUO)
    plan = load_scenario(PLAN)
    assert plan.name == "plan"
    assert len(plan.policy_settings) == 24  # every measure of sim.policies
    assert set(plan.policy_settings) == set(REGISTRY)
    assert [p.name for p in plan.build_policies()] == list(REGISTRY)  # registry order
    assert plan.rules == sq.rules
    assert plan.class_values == sq.class_values
    assert (plan.start_year, plan.end_year, plan.agents, plan.seed) == (
        sq.start_year, sq.end_year, sq.agents, sq.seed)


def test_sha256_is_of_the_file_given(tmp_path):
    import hashlib

    path = child(tmp_path, "")
    sc = load_scenario(path)
    assert sc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sc.name == "child"  # the parent's name is not inherited


def test_child_overrides_parent_table_by_table(tmp_path):
    path = child(tmp_path, "[run]\nagents = 3000\n[settlement.medium]\nkind = \"conditions\"\n"
                           "min_residence_years = 1\n")
    sc = load_scenario(path)
    assert sc.agents == 3000
    assert sc.seed == 20200  # kept from the parent's [run]
    assert sc.rules["medium"].kind == "conditions"
    assert sc.rules["medium"].min_residence_years == 1.0
    assert sc.rules["super_large"] == load_scenario(STATUS_QUO).rules["super_large"]


def test_overrides_argument_replaces_run_values(tmp_path):
    sc = load_scenario(STATUS_QUO, {"agents": 5000, "seed": None})
    assert sc.agents == 5000
    assert sc.seed == 20200
    with pytest.raises(ScenarioError, match="command line: --agents") as info:  # blamed on the option, not the file
        load_scenario(STATUS_QUO, {"agents": 5})
    assert "status_quo.toml" not in str(info.value)


# ---------------------------------------------------------------- unknown keys


def test_unknown_top_level_key(tmp_path):
    path = child(tmp_path, "colour = \"red\"\n")
    expect_error(path, "colour", "one of:", "run", "policies")


def test_unknown_run_key(tmp_path):
    path = child(tmp_path, "[run]\nagent = 5000\n")
    expect_error(path, "run.agent", "one of:", "agents", "start_year", "end_year", "seed")


def test_unknown_policy_lists_valid_names(tmp_path):
    path = child(tmp_path, "[policies.free_housing_for_all]\n")
    err = expect_error(path, "policies.free_housing_for_all", "one of:")
    for name in REGISTRY:
        assert name in str(err)


def test_unknown_policy_parameter(tmp_path):
    path = child(tmp_path, "[policies.settlement_open_small]\nmax_residence_years = 1\n")
    expect_error(path, "policies.settlement_open_small.max_residence_years",
                 "one of:", "enabled", "start", "min_residence_years")


def test_unknown_parameter_override(tmp_path):
    path = child(tmp_path, "[parameters]\nno_such_parameter = 1.0\n")
    expect_error(path, "parameters.no_such_parameter", "one of:")


def test_unknown_city_class(tmp_path):
    path = child(tmp_path, "[city_classes.gigantic]\nservice_access = 0.5\n")
    expect_error(path, "city_classes.gigantic", "one of:", "super_large", "county")


# ---------------------------------------------------------------- wrong types


def test_string_for_a_number(tmp_path):
    path = child(tmp_path, "[run]\nagents = \"many\"\n")
    expect_error(path, "run.agents", "an integer", "'many'")


def test_table_for_a_number(tmp_path):
    path = child(tmp_path, "[city_classes.mega.service_access]\nvalue = 0.5\n")
    expect_error(path, "city_classes.mega.service_access", "a number in [0.0, 1.0]")


def test_table_for_run_seed(tmp_path):
    path = child(tmp_path, "[run]\nseed = { value = 1 }\n")
    expect_error(path, "run.seed", "an integer")


def test_bool_for_a_number(tmp_path):
    path = child(tmp_path, "[run]\nagents = true\n")
    expect_error(path, "run.agents", "an integer")


def test_fractional_agents(tmp_path):
    path = child(tmp_path, "[run]\nagents = 5000.5\n")
    expect_error(path, "run.agents", "an integer")


def test_number_for_a_table(tmp_path):
    path = child(tmp_path, "run = 5\n")
    expect_error(path, "run", "a table")


def test_policy_enabled_not_bool(tmp_path):
    path = child(tmp_path, "[policies.labor_rights]\nenabled = \"yes\"\n")
    expect_error(path, "policies.labor_rights.enabled", "true or false")


def test_extends_not_a_string(tmp_path):
    path = write(tmp_path, "bad.toml", "extends = 3\n")
    expect_error(path, "extends", "a file name string")


# ---------------------------------------------------------------- out of range


def test_negative_agents(tmp_path):
    path = child(tmp_path, "[run]\nagents = -5\n")
    expect_error(path, "run.agents", "[1000, 20000000]", "-5")


def test_share_above_one(tmp_path):
    path = child(tmp_path, "[city_classes.mega]\nservice_access = 1.5\n")
    expect_error(path, "city_classes.mega.service_access", "[0.0, 1.0]", "1.5")


def test_negative_adoption_years(tmp_path):
    path = child(tmp_path, '[rule_changes.later]\nstart = 2021.5\nclasses = ["mega"]\nannual_quota_share = 0.01\n'
                           'adoption_years = -1\n')
    expect_error(path, "rule_changes.later.adoption_years", "[0.0, 20.0]", "-1")


def test_start_year_after_end_year(tmp_path):
    path = child(tmp_path, "[run]\nstart_year = 2020\nend_year = 2019\n")
    expect_error(path, "run.end_year", "[2021, 2060]", "2019")


def test_unsupported_start_year(tmp_path):
    path = child(tmp_path, "[run]\nstart_year = 2017\n")
    expect_error(path, "run.start_year", "starting state", "2015, 2020", "2017")


def test_end_year_too_late(tmp_path):
    path = child(tmp_path, "[run]\nend_year = 2100\n")
    expect_error(path, "run.end_year", "2060")


@pytest.mark.parametrize("start", [2030, 2010])
def test_policy_start_outside_run(tmp_path, start):
    path = child(tmp_path, f"[policies.points_reform]\nstart = {start}\n")
    expect_error(path, "policies.points_reform.start", "[2020, 2026]", str(start))


def test_policy_strength_above_one(tmp_path):
    path = child(tmp_path, "[policies.points_reform]\nstrength = 2\n")
    expect_error(path, "policies.points_reform.strength", "[0.0, 1.0]")


def test_huge_float_agents(tmp_path):
    path = child(tmp_path, "[run]\nagents = 1e300\n")
    expect_error(path, "run.agents", "[1000, 20000000]", "1e+300")


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_non_finite_numbers(tmp_path, value):
    path = child(tmp_path, f"[city_classes.small]\nschool_access = {value}\n")
    expect_error(path, "city_classes.small.school_access", "[0.0, 1.0]")


def test_settlement_quota_above_one(tmp_path):
    path = child(tmp_path, "[settlement.mega]\nannual_quota_share = 1.5\n")
    expect_error(path, "settlement.mega.annual_quota_share", "[0.0, 1.0]")


def test_seed_too_large(tmp_path):
    path = child(tmp_path, f"[run]\nseed = {2**32}\n")
    expect_error(path, "run.seed", str(2**32))


def test_integer_too_large_for_a_float(tmp_path):
    path = child(tmp_path, "[run]\nagents = 1" + "0" * 400 + "\n")
    expect_error(path, "run.agents", "[1000, 20000000]")


# ---------------------------------------------------------------- files


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    err = expect_error(path, "", "an existing file")
    assert err.key == ""


def test_directory_is_not_a_scenario(tmp_path):
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    expect_error(folder, "", "an existing file")


def test_missing_extends_target(tmp_path):
    path = write(tmp_path, "orphan.toml", 'extends = "gone.toml"\n')
    expect_error(path, "extends", "an existing scenario file", "gone.toml")


def test_extends_name_with_nul(tmp_path):
    path = write(tmp_path, "nul.toml", 'extends = "status_quo\\u0000.toml"\n')
    expect_error(path, "extends")


def test_circular_extends(tmp_path):
    a = write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    message = str(info.value)
    assert info.value.key == "extends"
    assert "circular" in message and "expected" in message
    assert "a.toml -> b.toml -> a.toml" in message


def test_self_extends(tmp_path):
    a = write(tmp_path, "self.toml", 'extends = "self.toml"\n')
    err = expect_error(a, "extends", "no circular extends")
    assert "self.toml -> self.toml" in str(err)


@pytest.mark.parametrize("text", ["", "   \n\t\n"])
def test_empty_file(tmp_path, text):
    path = write(tmp_path, "empty.toml", text)
    expect_error(path, "", "a non-empty TOML file")


def test_invalid_toml(tmp_path):
    path = write(tmp_path, "broken.toml", "[run\nagents = 5\n")
    expect_error(path, "", "valid TOML")


def test_invalid_toml_in_parent(tmp_path):
    write(tmp_path, "parent.toml", "name = = 1\n")
    path = write(tmp_path, "kid.toml", 'extends = "parent.toml"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "parent.toml" in str(info.value)
    assert "valid TOML" in str(info.value)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(b"\xff\xfe\x00bad")
    expect_error(path, "", "UTF-8")


# ---------------------------------------------------------------- settlement rules


def test_settlement_rule_missing_for_a_class(tmp_path):
    rules = "".join(f'[settlement.{cls}]\nkind = "open"\n' for cls in SIZE_CLASSES if cls != "medium")
    path = write(tmp_path, "partial.toml", rules)
    expect_error(path, "settlement.medium", "every size class", "missing")


def test_no_settlement_at_all(tmp_path):
    path = write(tmp_path, "bare.toml", 'name = "bare"\n')
    expect_error(path, f"settlement.{SIZE_CLASSES[0]}", "every size class")


def test_bad_settlement_kind(tmp_path):
    path = child(tmp_path, '[settlement.medium]\nkind = "lottery"\n')
    expect_error(path, "settlement.medium.kind", "open", "conditions", "points", "'lottery'")


def test_unknown_settlement_key(tmp_path):
    path = child(tmp_path, "[settlement.small]\nbribe = 10\n")
    expect_error(path, "settlement.small.bribe", "one of:", "threshold")


def test_complete_file_without_extends_loads(tmp_path):
    rules = "".join(f'[settlement.{cls}]\nkind = "open"\n' for cls in SIZE_CLASSES)
    sc = load_scenario(write(tmp_path, "open.toml", rules))
    assert sc.name == "open"
    assert all(rule.kind == "open" for rule in sc.rules.values())
    assert (sc.start_year, sc.end_year) == (2020, 2025)


# ---------------------------------------------------------------- never another exception

BASE_TEXTS = (STATUS_QUO.read_text(encoding="utf-8"), PLAN.read_text(encoding="utf-8"))
SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def mutated_scenario(draw) -> bytes:
    text = draw(st.sampled_from(BASE_TEXTS))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            j = draw(st.integers(i, min(len(text), i + 200)))
            text = text[:i] + text[j:]
        else:
            piece = draw(st.one_of(SAFE_TEXT, st.sampled_from(
                ["\n[run]\n", "agents = ", "= 1\n", "\n[policies.points_reform]\n", '"', "[", "]",
                 "-1", "1e9", "true", "{ }", "\nextends = \"plan.toml\"\n", ".", "\n"])))
            text = text[:i] + piece + text[i:]
    return text.encode("utf-8")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.one_of(st.binary(max_size=200), mutated_scenario()))
def test_any_input_loads_or_raises_scenario_error(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("fuzz")
    with_status_quo(folder)
    shutil.copy(PLAN, folder / "plan.toml")
    path = folder / "fuzz.toml"
    path.write_bytes(content)
    try:
        sc = load_scenario(path)
    except ScenarioError as err:
        assert path.name in str(err) or "status_quo.toml" in str(err) or "plan.toml" in str(err)
    else:
        assert isinstance(sc, Scenario)
        assert set(sc.rules) == set(SIZE_CLASSES)
