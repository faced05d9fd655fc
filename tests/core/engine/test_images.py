"""Images: import a PNG, use it in a graph, and find the producing graph inside the output PNG."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import graph
from PIL import Image, ImageOps

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    ImageField,
    InputField,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)
from nodeloom.cli import cli
from nodeloom.plugins import set_plugin_manager


@invocation_output("test_image_output")
class InvertedOutput(BaseInvocationOutput):
    image: ImageField = OutputField(description="The inverted image")


@invocation("test_invert", category="test")
class InvertInvocation(BaseInvocation):
    """Inverts an image's colours."""

    image: ImageField = InputField(description="The image to invert")

    def invoke(self, context) -> InvertedOutput:
        inverted = ImageOps.invert(context.images.load(self.image).convert("RGB"))
        return InvertedOutput(image=context.images.save(inverted))


class ImageNodes:
    @hookimpl
    def register_invocations(self, register):
        register(InvertInvocation)


@pytest.fixture
def cli_env(plugin_manager, tmp_path, monkeypatch):
    plugin_manager.add_plugin(ImageNodes(), "image-test-nodes")
    set_plugin_manager(plugin_manager)
    monkeypatch.setenv("NODELOOM_HOME", str(tmp_path / "home"))
    yield CliRunner()
    set_plugin_manager(None)


def test_image_round_trip_through_a_graph(cli_env, tmp_path):
    source = tmp_path / "in.png"
    Image.new("RGB", (4, 3), (10, 200, 30)).save(source)
    imported = cli_env.invoke(cli, ["images", "import", str(source)])
    assert imported.exit_code == 0, imported.output
    name = imported.output.strip()

    graph_file = tmp_path / "g.json"
    graph_file.write_text(json.dumps(graph({"inv": {"type": "test_invert"}})))
    ran = cli_env.invoke(
        cli, ["run", str(graph_file), "--set", f'inv.image={{"image_name": "{name}"}}', "--json"]
    )
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.output)
    output_name = result["results"]["inv"][0]["image"]["image_name"]
    assert output_name != name

    exported = tmp_path / "out.png"
    done = cli_env.invoke(cli, ["images", "export", output_name, str(exported)])
    assert done.exit_code == 0, done.output
    with Image.open(exported) as image:
        assert image.getpixel((0, 0)) == (245, 55, 225)
        embedded = json.loads(image.text["nodeloom_graph"])
        assert image.text["nodeloom_node"] == "inv"
        assert image.text["nodeloom_session"] == result["session_id"]
    assert embedded["nodes"]["inv"]["image"] == {"image_name": name}


def test_unknown_image_name_is_bad_input(cli_env, tmp_path):
    graph_file = tmp_path / "g.json"
    graph_file.write_text(
        json.dumps(
            graph({"inv": {"type": "test_invert", "image": {"image_name": "0" * 32 + ".png"}}})
        )
    )
    ran = cli_env.invoke(cli, ["run", str(graph_file)])
    assert ran.exit_code == 2
    assert "does not exist" in ran.output and "'inv'" in ran.output
    listed = cli_env.invoke(cli, ["sessions", "list", "--json"])
    assert json.loads(listed.output) == []


def test_export_of_a_name_outside_the_store_is_refused(cli_env, tmp_path):
    done = cli_env.invoke(cli, ["images", "export", "../../etc/passwd", str(tmp_path / "x")])
    assert done.exit_code == 2
    assert "not an image name" in done.output
