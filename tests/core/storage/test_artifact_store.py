"""The artifact store: PNG images with text metadata, safetensors tensors, names that stay inside."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nodeloom.storage.artifacts import ArtifactNotFound, ArtifactStore


@pytest.fixture
def artifacts(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "store-artifacts")


def test_image_round_trip_keeps_pixels_and_metadata(artifacts: ArtifactStore) -> None:
    image = Image.new("RGB", (4, 3), (10, 20, 30))
    image.putpixel((1, 2), (255, 0, 128))
    graph = json.dumps({"nodes": {"n": {"id": "n", "type": "blank_image"}}})
    name = artifacts.save_image(image, {"nodeloom_graph": graph, "nodeloom_node": "n"})
    assert artifacts.has_image(name)
    loaded = artifacts.load_image(name)
    assert loaded.size == (4, 3)
    assert loaded.tobytes() == image.tobytes()
    assert artifacts.image_metadata(name) == {"nodeloom_graph": graph, "nodeloom_node": "n"}
    assert artifacts.counts() == {"images": 1, "tensors": 0}


def test_import_and_export_an_image(artifacts: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    Image.new("RGB", (5, 5), (0, 200, 0)).save(source)
    name = artifacts.import_image(source)
    assert name.endswith(".png")
    assert artifacts.image_metadata(name)["nodeloom_imported_from"] == "photo.jpg"
    exported = artifacts.export_image(name, tmp_path / "out.png")
    with Image.open(exported) as back:
        assert back.format == "PNG" and back.size == (5, 5)


def test_importing_a_non_image_is_a_clear_error(artifacts: ArtifactStore, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.txt"):
        artifacts.import_image(text)
    assert artifacts.counts()["images"] == 0


@pytest.mark.parametrize("dtype", ["float32", "float16", "int64", "uint8"])
def test_numpy_tensor_round_trip(artifacts: ArtifactStore, dtype: str) -> None:
    array = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    name = artifacts.save_tensor(array)
    back = artifacts.load_tensor(name)
    assert isinstance(back, np.ndarray)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)


def test_tensor_files_are_safetensors_not_pickle(artifacts: ArtifactStore) -> None:
    name = artifacts.save_tensor(np.zeros((2, 2), dtype="float32"))
    payload = (artifacts.tensors_dir / name).read_bytes()
    header_length = int.from_bytes(payload[:8], "little")
    header = json.loads(payload[8 : 8 + header_length])
    assert header["tensor"]["shape"] == [2, 2]
    assert not payload.startswith(b"\x80")  # a pickle would start with its protocol opcode


def test_torch_tensor_round_trip(artifacts: ArtifactStore) -> None:
    import torch  # the dev extra installs the CPU build; only listing nodes must avoid it

    tensor = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    back = artifacts.load_tensor(artifacts.save_tensor(tensor.t()))  # non-contiguous on purpose
    assert isinstance(back, torch.Tensor)
    assert torch.equal(back, tensor.t())


HEX = "0123456789abcdef" * 2


@pytest.mark.parametrize(
    "name",
    [
        "../secret.png",
        f"../{HEX}.png",
        f"images/../../{HEX}.png",
        f"/etc/{HEX}.png",
        "/etc/passwd",
        f"{HEX.upper()}.png",
        f"{HEX}.png/..",
        "",
    ],
)
def test_names_outside_the_store_are_refused(
    artifacts: ArtifactStore, tmp_path: Path, name: str
) -> None:
    (tmp_path / "secret.png").write_bytes(b"not yours")
    Image.new("L", (1, 1)).save(tmp_path / f"{HEX}.png")
    with pytest.raises(ArtifactNotFound):
        artifacts.load_image(name)
    with pytest.raises(ArtifactNotFound):
        artifacts.load_tensor(name.replace(".png", ".safetensors"))
    assert not artifacts.has_image(name)


def test_a_well_formed_but_missing_name_is_not_found(artifacts: ArtifactStore) -> None:
    with pytest.raises(ArtifactNotFound, match="does not exist"):
        artifacts.load_image(f"{HEX}.png")
    with pytest.raises(ArtifactNotFound, match="does not exist"):
        artifacts.load_tensor(f"{HEX}.safetensors")
