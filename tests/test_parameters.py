import re

import pytest

from sim.parameters import KINDS, PARAMETERS, Parameters
from tests.conftest import PROJECT

ODD = (PROJECT / "docs" / "ODD.md").read_text(encoding="utf-8")


def test_every_parameter_has_kind_source_and_valid_default():
    for name, spec in PARAMETERS.items():
        assert spec.kind in KINDS, name
        assert len(spec.source) > 20, name
        assert spec.low <= spec.default <= spec.high, name


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_odd_lists_parameter_with_current_value_and_kind(name):
    from tests.conftest import SCENARIOS, calibrated_scenario

    spec = PARAMETERS[name]
    effective = calibrated_scenario(SCENARIOS / "status_quo.toml").parameters[name]
    row = re.search(rf"^\| `{name}` \| ([-0-9.e]+)[^|]*\|[^|]*\|[^|]*\| (\w+) \|", ODD, flags=re.M)
    assert row, f"docs/ODD.md has no row for {name}; run scripts/update_odd_tables.py"
    assert float(row.group(1)) == pytest.approx(effective, rel=1e-3), name
    assert row.group(2) == spec.kind, name


def test_overrides_are_checked():
    params = Parameters.defaults()
    assert params.with_overrides({"wage_coef": 1.0})["wage_coef"] == 1.0
    with pytest.raises(KeyError):
        params.with_overrides({"wage_coeff": 1.0})
    with pytest.raises(ValueError):
        params.with_overrides({"nest_coef": 2.0})
    with pytest.raises(AttributeError):
        params.no_such_parameter  # noqa: B018
