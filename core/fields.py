"""Value types that travel along edges: references to stored images, tensors and colours."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ImageField(BaseModel):
    """A reference to an image in the artifact store."""

    model_config = ConfigDict(extra="forbid")
    image_name: str = Field(description="The name of the image in the artifact store")


class LatentsField(BaseModel):
    """A reference to a latents tensor in the artifact store."""

    model_config = ConfigDict(extra="forbid")
    latents_name: str = Field(description="The name of the latents tensor")
    seed: int | None = Field(default=None, description="The seed used to generate the latents")


class ConditioningField(BaseModel):
    """A reference to a conditioning tensor in the artifact store."""

    model_config = ConfigDict(extra="forbid")
    conditioning_name: str = Field(description="The name of the conditioning tensor")


class ColorField(BaseModel):
    """An RGBA colour, each channel 0-255."""

    model_config = ConfigDict(extra="forbid")
    r: int = Field(ge=0, le=255, description="Red")
    g: int = Field(ge=0, le=255, description="Green")
    b: int = Field(ge=0, le=255, description="Blue")
    a: int = Field(default=255, ge=0, le=255, description="Alpha")

    def tuple(self) -> tuple[int, int, int, int]:
        return (self.r, self.g, self.b, self.a)
