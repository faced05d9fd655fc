"""The artifact store: images as PNG files and tensors as safetensors files under one folder."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

IMAGE_NAME = re.compile(r"^[0-9a-f]{32}\.png$")
TENSOR_NAME = re.compile(r"^[0-9a-f]{32}\.safetensors$")


class ArtifactNotFound(LookupError):
    """An artifact name that is malformed or does not exist in this store."""


class ArtifactStore:
    """Files kept beside a database. Names are generated ids, so no name can address a path outside."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.images_dir = self.root / "images"
        self.tensors_dir = self.root / "tensors"

    # -- images ----------------------------------------------------------------------------------

    def save_image(self, image: Any, metadata: dict[str, str] | None = None) -> str:
        """Write a PIL image as PNG, with ``metadata`` as text chunks; return its new name."""
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        for key, value in (metadata or {}).items():
            info.add_text(key, value)
        name = f"{uuid.uuid4().hex}.png"
        self._write_atomically(
            self.images_dir / name, lambda handle: image.save(handle, format="PNG", pnginfo=info)
        )
        return name

    def image_path(self, name: str) -> Path:
        if not isinstance(name, str) or not IMAGE_NAME.match(name):
            raise ArtifactNotFound(
                f"'{name}' is not an image name (expected 32 hex digits + '.png')"
            )
        path = self.images_dir / name
        if not path.is_file():
            raise ArtifactNotFound(f"image '{name}' does not exist in {self.images_dir}")
        return path

    def load_image(self, name: str) -> Any:
        from PIL import Image

        with Image.open(self.image_path(name)) as image:
            image.load()
            return image

    def image_metadata(self, name: str) -> dict[str, str]:
        from PIL import Image

        with Image.open(self.image_path(name)) as image:
            return dict(getattr(image, "text", {}))

    def import_image(self, path: str | os.PathLike[str]) -> str:
        """Copy a user's image file into the store (re-encoded as PNG) and return its name."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                image.load()
                return self.save_image(image, {"nodeloom_imported_from": Path(path).name})
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"cannot read '{path}' as an image: {error}") from error

    def export_image(self, name: str, destination: str | os.PathLike[str]) -> Path:
        source = self.image_path(name)
        destination = Path(destination)
        shutil.copyfile(source, destination)
        return destination

    def has_image(self, name: str) -> bool:
        try:
            self.image_path(name)
        except ArtifactNotFound:
            return False
        return True

    # -- tensors ---------------------------------------------------------------------------------

    def save_tensor(self, tensor: Any) -> str:
        """Write a torch tensor or numpy array with safetensors (never pickle); return its name."""
        name = f"{uuid.uuid4().hex}.safetensors"
        if type(tensor).__module__.startswith("torch"):
            from safetensors.torch import save

            payload = save(
                {"tensor": tensor.detach().contiguous().cpu()}, metadata={"format": "pt"}
            )
        else:
            import numpy as np
            from safetensors.numpy import save

            payload = save({"tensor": np.ascontiguousarray(tensor)}, metadata={"format": "np"})
        self._write_atomically(self.tensors_dir / name, lambda handle: handle.write(payload))
        return name

    def load_tensor(self, name: str) -> Any:
        """Read a tensor back in the library it was saved from (torch or numpy)."""
        if not isinstance(name, str) or not TENSOR_NAME.match(name):
            raise ArtifactNotFound(
                f"'{name}' is not a tensor name (expected 32 hex digits + '.safetensors')"
            )
        path = self.tensors_dir / name
        if not path.is_file():
            raise ArtifactNotFound(f"tensor '{name}' does not exist in {self.tensors_dir}")
        from safetensors import safe_open

        with safe_open(path, framework="np") as handle:
            fmt = (handle.metadata() or {}).get("format", "np")
        if fmt == "pt":
            from safetensors.torch import load_file

            return load_file(path)["tensor"]
        from safetensors.numpy import load_file

        return load_file(path)["tensor"]

    # -- housekeeping ----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        def count(folder: Path, pattern: re.Pattern[str]) -> int:
            return (
                sum(1 for p in folder.iterdir() if pattern.match(p.name)) if folder.is_dir() else 0
            )

        return {
            "images": count(self.images_dir, IMAGE_NAME),
            "tensors": count(self.tensors_dir, TENSOR_NAME),
        }

    def _write_atomically(self, path: Path, write: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                write(handle)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
