"""pyproject.toml and environment.yml pin the same dependencies."""

import tomllib

import yaml

from conftest import REPO


def test_environment_yml_matches_pyproject():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert sorted(pip) == sorted(pyproject + ["-e ."])
    assert all("==" in requirement for requirement in pyproject)  # exact pins only
