"""Generated documentation and scenario files agree with the code."""

import importlib.util
import re

import pytest

from tests.conftest import PROJECT


def _script(name):
    spec = importlib.util.spec_from_file_location(name, PROJECT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ODD = (PROJECT / "docs" / "ODD.md").read_text(encoding="utf-8")


def _block(name):
    match = re.search(rf"<!-- {name} -->\n(.*?)\n<!-- /{name} -->", ODD, re.S)
    assert match, f"docs/ODD.md lacks the {name} block"
    return match.group(1)


@pytest.mark.parametrize("block, generator", [("parameter-table", "table"), ("policy-table", "policy_table"),
                                              ("sensitivity-ranges", "sensitivity_table"),
                                              ("calibration-fit", "calibration_fit_table")])
def test_odd_tables_match_code(block, generator):
    expected = getattr(_script("parameter_table"), generator)()
    assert _block(block) == expected, "run: python scripts/update_odd_tables.py"


def test_odd_output_table_matches_the_declarations():
    assert _block("output-table") == _script("output_table").output_table(), "run: python scripts/update_odd_tables.py"


def test_odd_breakdown_table_matches_the_declarations():
    assert _block("breakdown-table") == _script("output_table").breakdown_table(), \
        "run: python scripts/update_odd_tables.py"


def test_derived_scenarios_up_to_date():
    make = _script("make_scenarios")
    for name, text in make.derived().items():
        path = PROJECT / "scenarios" / name
        assert path.is_file(), f"missing {name}: run python scripts/make_scenarios.py"
        assert path.read_text(encoding="utf-8") == text, f"stale {name}: run python scripts/make_scenarios.py"


def test_every_shipped_scenario_loads():
    from sim.scenario import load_scenario

    names = set()
    for path in sorted((PROJECT / "scenarios").glob("*.toml")):
        scenario = load_scenario(path)
        names.add(scenario.name)
        assert scenario.name == path.stem
    assert {"status_quo", "plan", "hukou_rules_only", "services_only", "plan_accelerated", "plan_to_2035"} <= names
