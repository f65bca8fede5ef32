"""Scenario files and --fault flags: validated, merged, and refused with a line per problem."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from sim.aix.faults import ConnectionDrop, Hang, SlowProgress
from sim.aix.fleet import default_state, lpar_names
from sim.aix.scenario import Scenario, ScenarioError


def state_of(scenario: Scenario, name: str = "lpar002"):
    return scenario.state_for(default_state(name, 1, 12))


def test_defaults_then_the_lpar_entry_merge_key_by_key() -> None:
    defaults = {"lparstat": {"Maximum Virtual CPUs": "16"}, "faults": {"slow": {"factor": 2}}}
    entry = {"lparstat": {"Online Memory": "8192 MB"}, "faults": {"drop": {"seconds": 30}}}
    scenario = Scenario.parse({"defaults": defaults, "lpars": {"lpar002": entry}})
    state = state_of(scenario)
    other = state_of(scenario, "lpar003")
    assert state.lparstat["Maximum Virtual CPUs"] == "16"
    assert state.lparstat["Online Memory"] == "8192 MB"
    assert state.lparstat["Partition Name"] == "lpar002"
    assert state.faults.slow == SlowProgress(factor=2)
    assert state.faults.drop == ConnectionDrop(phase="blackout", seconds=30)
    assert other.faults.drop is None


def test_a_scenario_file_with_mistakes_names_each_place(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yml"
    path.write_text(
        "lpars:\n"
        "  lpar002:\n"
        "    oslevel: 7300-03\n"
        "    faults:\n"
        "      fail_at: {phase: reboot, error: 'oops'}\n"
        "      flood: {}\n"
    )
    scenario = Scenario.load(path)
    with pytest.raises(ScenarioError) as caught:
        state_of(scenario)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{path}: lpars.lpar002.") for line in lines)
    assert any(".oslevel: String should match pattern" in line for line in lines)
    assert any(
        ".faults.fail_at.phase: Value error, unknown phase 'reboot'" in line for line in lines
    )
    assert any(
        ".faults.fail_at.error: String should match pattern '^1430-" in line for line in lines
    )
    assert any(".faults.flood: Extra inputs are not permitted" in line for line in lines)


def test_a_scenario_that_is_not_yaml_or_not_a_mapping(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("lpars: [unclosed\n")
    with pytest.raises(ScenarioError, match="cannot be read as YAML"):
        Scenario.load(broken)
    with pytest.raises(ScenarioError, match="a scenario is a mapping"):
        Scenario.parse(["lpar001"])
    with pytest.raises(ScenarioError, match="clock_start"):
        Scenario.parse({"clock_start": "yesterday"})
    with pytest.raises(ScenarioError, match="the fleet names the LPARs"):
        state_of(Scenario.parse({"defaults": {"name": "x"}}))


def test_entries_for_lpars_the_fleet_does_not_have() -> None:
    scenario = Scenario.parse({"lpars": {"lpar009": {}}})
    with pytest.raises(ScenarioError, match="lpar009 not in this fleet of 3 LPARs"):
        scenario.check_names(lpar_names(3))


def test_fault_flags_add_to_the_scenario() -> None:
    scenario = (
        Scenario.parse({"clock_start": "2025-01-29T09:00:00"})
        .with_faults("lpar002={drop: {phase: blackout, seconds: 60}}")
        .with_faults("*={slow: {factor: 3}}")
        .with_faults("lpar002={hang: {phase: alt_disk_copy}}")
    )
    state = state_of(scenario)
    assert scenario.clock_start == datetime(2025, 1, 29, 9, 0)
    assert state.faults.drop == ConnectionDrop(phase="blackout", seconds=60)
    assert state.faults.hang == Hang(phase="alt_disk_copy")
    assert state.faults.slow == state_of(scenario, "lpar003").faults.slow == SlowProgress(factor=3)


@pytest.mark.parametrize("flag", ["lpar002", "lpar002=[1, 2]", "={drop: {}}", "x={a: [}"])
def test_a_malformed_fault_flag_says_what_is_expected(flag: str) -> None:
    with pytest.raises(ScenarioError, match=r"^--fault "):
        Scenario().with_faults(flag)


def test_the_readme_example_scenario_is_valid() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    example = readme.split("<!-- sim-scenario-example -->")[1].split("```yaml\n")[1].split("```")[0]
    scenario = Scenario.parse(yaml.safe_load(example))
    scenario.check_names(lpar_names(3))
    for index, name in enumerate(lpar_names(3)):
        scenario.state_for(default_state(name, index, 11 + index))
