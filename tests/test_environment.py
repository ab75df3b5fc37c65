"""pyproject.toml, environment.yml and the workflow's per-rule conda environments pin the same
dependencies."""

import re
import tomllib

import pytest
import yaml
from conftest import REPO

ENVS = sorted((REPO / "workflow" / "envs").glob("*.yaml"))


def _pinned() -> dict[str, str]:
    """pyproject's dependencies, name -> requirement."""
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    return {requirement.split("==")[0]: requirement for requirement in dependencies}


def _conda(path) -> tuple[list, list[str]]:
    """A conda environment file's conda dependencies and its pip requirements."""
    dependencies = yaml.safe_load(path.read_text())["dependencies"]
    pip = next(item["pip"] for item in dependencies if isinstance(item, dict))
    return [item for item in dependencies if not isinstance(item, dict)], pip


def test_environment_yml_matches_pyproject():
    pyproject = list(_pinned().values())
    _, pip = _conda(REPO / "environment.yml")
    assert sorted(pip) == sorted(pyproject + ["-e ."])
    assert all("==" in requirement for requirement in pyproject)  # exact pins only


def test_there_is_an_environment_for_each_stage_of_the_workflow():
    assert [path.stem for path in ENVS] == ["data", "evaluate", "report", "train"]


@pytest.mark.parametrize("env", ENVS, ids=lambda path: path.stem)
def test_each_rule_environment_pins_pyprojects_versions_and_python(env):
    conda, pip = _conda(env)
    pinned = _pinned()
    assert pip and all(requirement == pinned.get(requirement.split("==")[0]) for requirement in pip), pip
    assert {"numpy", "pandas", "pyarrow", "pyyaml", "jsonschema"} <= {
        r.split("==")[0] for r in pip
    }  # modecollapse's core
    assert conda == _conda(REPO / "environment.yml")[0]  # the same Python


def test_every_environment_the_rules_name_exists():
    # (that every rule names one is `snakemake --lint`'s check: tests/test_ecosystem.py)
    named = {
        match
        for path in (REPO / "workflow" / "rules").glob("*.smk")
        for match in re.findall(r'"\.\./envs/([^"]+)"', path.read_text())
    }
    assert named == {path.name for path in ENVS}
