"""Images: import a PNG, use it in a graph, and find the producing graph inside the output PNG."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import edge, graph
from PIL import Image, ImageOps

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    ImageField,
    InputField,
    LatentsField,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)
from nodeloom.cli import cli
from nodeloom.execute import run_graph
from nodeloom.plugins import set_plugin_manager
from nodeloom.storage import open_store


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


@invocation_output("test_latents_output")
class LatentsOutput(BaseInvocationOutput):
    latents: LatentsField = OutputField(description="Saved latents")


@invocation("test_make_latents", category="test")
class MakeLatentsInvocation(BaseInvocation):
    """Saves a seeded random torch tensor through the context."""

    seed: int = InputField(default=0, description="Seed")

    def invoke(self, context) -> LatentsOutput:
        import torch

        generator = torch.Generator().manual_seed(self.seed)
        tensor = torch.randn(1, 4, 8, 8, generator=generator)
        return LatentsOutput(
            latents=LatentsField(latents_name=context.tensors.save(tensor), seed=self.seed)
        )


class LatentsNodes:
    @hookimpl
    def register_invocations(self, register):
        register(MakeLatentsInvocation)


def test_context_tensors_round_trip_torch_through_a_graph(plugin_manager, tmp_path):
    import torch

    record = plugin_manager.add_plugin(LatentsNodes(), "latents-test-nodes")
    assert record.status == "active", record.error
    store = open_store(f"sqlite:///{tmp_path / 't.db'}", plugin_manager=plugin_manager)
    data = graph(
        {"mk": {"type": "test_make_latents", "seed": 5}, "info": {"type": "latents"}},
        [edge("mk", "latents", "info", "latents")],
    )
    result = run_graph(data, store, plugin_manager=plugin_manager)
    assert result.status == "completed", result.errors
    name = result.results["mk"][0]["latents"]["latents_name"]
    expected = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(5))
    assert torch.equal(store.artifacts.load_tensor(name), expected)
    assert (result.results["info"][0]["width"], result.results["info"][0]["height"]) == (64, 64)
    store.close()
