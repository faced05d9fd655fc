"""``nodeloom schema [-o FILE]``."""

from __future__ import annotations

import json

from click.testing import CliRunner
from openapi_spec_validator import validate

from nodeloom.cli import cli
from nodeloom.schema import build_openapi


def test_schema_prints_the_openapi_document(pack_manager):
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document == build_openapi(pack_manager)
    assert document["components"]["schemas"]["ShoutInvocation"]["class"] == "invocation"
    validate(document)


def test_schema_writes_a_file(plugin_manager, tmp_path):
    target = tmp_path / "openapi.json"
    result = CliRunner().invoke(cli, ["schema", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {target}" in result.stderr
    validate(json.loads(target.read_text()))


def test_schema_to_an_unwritable_place_is_bad_input(plugin_manager, tmp_path):
    target = tmp_path / "missing-folder" / "openapi.json"
    result = CliRunner().invoke(cli, ["schema", "--output", str(target)])
    assert result.exit_code == 2
    assert f"cannot write {target}" in result.stderr
    assert "Traceback" not in result.output
