"""ARCHITECTURE.md's import rules hold: the contracts in pyproject.toml ([tool.importlinter]), run by import-linter
over the source (nothing is imported), so a back-edge fails the normal suite with the offending import chain."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from importlinter.api import read_configuration
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

CONFIG = Path(settings.BASE_DIR) / "pyproject.toml"


def test_imports_follow_the_layers_of_architecture_md(monkeypatch, capsys):
    monkeypatch.chdir(settings.BASE_DIR)

    status = lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True)

    assert status == EXIT_STATUS_SUCCESS, capsys.readouterr().out


def test_every_rule_of_architecture_md_has_its_contract():
    contracts = {contract["id"] for contract in read_configuration(str(CONFIG))["contracts_options"]}

    assert contracts == {"apps", "recommenders", "engines", "catalog"}
    assert "`tests/test_architecture.py`" in (Path(settings.BASE_DIR) / "ARCHITECTURE.md").read_text()
