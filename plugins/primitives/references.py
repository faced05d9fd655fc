"""Primitives that pass references to stored artifacts: image, latents and conditioning."""

from __future__ import annotations

from typing import Any

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    ConditioningField,
    ImageField,
    InputField,
    InvocationContext,
    LatentsField,
    OutputField,
    invocation,
    invocation_output,
)

#: Pixels per latent cell of Stable Diffusion's VAE; latents sizes are reported in pixels.
LATENT_SCALE_FACTOR = 8


def _given(node: BaseInvocation, field: str) -> Any:
    """The value of a required input, or a ValueError naming the node and field when it is missing."""
    value = getattr(node, field)
    if value is None:
        raise ValueError(f"{node.node_type} node '{node.id}': input '{field}' has no value")
    return value


# --- image -------------------------------------------------------------------------------------


@invocation_output("image_output")
class ImageOutput(BaseInvocationOutput):
    """A single image with its size."""

    image: ImageField = OutputField(description="The output image")
    width: int = OutputField(description="The width of the image in pixels")
    height: int = OutputField(description="The height of the image in pixels")


@invocation_output("image_collection_output")
class ImageCollectionOutput(BaseInvocationOutput):
    """A collection of images."""

    collection: list[ImageField] = OutputField(description="The output images")


@invocation(
    "image",
    title="Image Primitive",
    tags=["primitives", "image"],
    category="primitives",
    version="1.0.2",
)
class ImageInvocation(BaseInvocation):
    """An image primitive value: passes an image on and reports its size."""

    image: ImageField = InputField(description="The image to load")

    def invoke(self, context: InvocationContext) -> ImageOutput:
        image_field: ImageField = _given(self, "image")
        image = context.images.load(image_field)
        return ImageOutput(
            image=ImageField(image_name=image_field.image_name),
            width=image.width,
            height=image.height,
        )


@invocation(
    "image_collection",
    title="Image Collection Primitive",
    tags=["primitives", "image", "collection"],
    category="primitives",
    version="1.0.1",
)
class ImageCollectionInvocation(BaseInvocation):
    """A collection of image primitive values."""

    collection: list[ImageField] = InputField(description="The collection of image values")

    def invoke(self, context: InvocationContext) -> ImageCollectionOutput:
        return ImageCollectionOutput(collection=list(_given(self, "collection")))


# --- latents -----------------------------------------------------------------------------------


@invocation_output("latents_output")
class LatentsOutput(BaseInvocationOutput):
    """A single latents tensor with the pixel size it decodes to."""

    latents: LatentsField = OutputField(description="Latents tensor")
    width: int = OutputField(description="Width of output (px)")
    height: int = OutputField(description="Height of output (px)")


@invocation_output("latents_collection_output")
class LatentsCollectionOutput(BaseInvocationOutput):
    """A collection of latents tensors."""

    collection: list[LatentsField] = OutputField(description="Latents tensor")


@invocation(
    "latents",
    title="Latents Primitive",
    tags=["primitives", "latents"],
    category="primitives",
    version="1.0.2",
)
class LatentsInvocation(BaseInvocation):
    """A latents tensor primitive value: passes latents on and reports their size in pixels.

    The tensor is loaded (torch or numpy, whichever it was saved from) to read its shape:
    ``width = shape[-1] * 8`` and ``height = shape[-2] * 8``. The seed is passed through.
    """

    latents: LatentsField = InputField(description="The latents tensor")

    def invoke(self, context: InvocationContext) -> LatentsOutput:
        latents_field: LatentsField = _given(self, "latents")
        shape = tuple(context.tensors.load(latents_field.latents_name).shape)
        if len(shape) < 2:
            raise ValueError(
                f"latents node '{self.id}': tensor '{latents_field.latents_name}' has shape "
                f"{shape}; expected at least 2 dimensions (..., height, width)"
            )
        return LatentsOutput(
            latents=LatentsField(latents_name=latents_field.latents_name, seed=latents_field.seed),
            width=int(shape[-1]) * LATENT_SCALE_FACTOR,
            height=int(shape[-2]) * LATENT_SCALE_FACTOR,
        )


@invocation(
    "latents_collection",
    title="Latents Collection Primitive",
    tags=["primitives", "latents", "collection"],
    category="primitives",
    version="1.0.1",
)
class LatentsCollectionInvocation(BaseInvocation):
    """A collection of latents tensor primitive values."""

    collection: list[LatentsField] = InputField(description="The collection of latents tensors")

    def invoke(self, context: InvocationContext) -> LatentsCollectionOutput:
        return LatentsCollectionOutput(collection=list(_given(self, "collection")))


# --- conditioning ------------------------------------------------------------------------------


@invocation_output("conditioning_output")
class ConditioningOutput(BaseInvocationOutput):
    """A single conditioning tensor."""

    conditioning: ConditioningField = OutputField(description="Conditioning tensor")


@invocation_output("conditioning_collection_output")
class ConditioningCollectionOutput(BaseInvocationOutput):
    """A collection of conditioning tensors."""

    collection: list[ConditioningField] = OutputField(description="The output conditioning tensors")


@invocation(
    "conditioning",
    title="Conditioning Primitive",
    tags=["primitives", "conditioning"],
    category="primitives",
    version="1.0.1",
)
class ConditioningInvocation(BaseInvocation):
    """A conditioning tensor primitive value."""

    conditioning: ConditioningField = InputField(description="Conditioning tensor")

    def invoke(self, context: InvocationContext) -> ConditioningOutput:
        return ConditioningOutput(conditioning=_given(self, "conditioning"))


@invocation(
    "conditioning_collection",
    title="Conditioning Collection Primitive",
    tags=["primitives", "conditioning", "collection"],
    category="primitives",
    version="1.0.2",
)
class ConditioningCollectionInvocation(BaseInvocation):
    """A collection of conditioning tensor primitive values."""

    collection: list[ConditioningField] = InputField(
        default=[], description="The collection of conditioning tensors"
    )

    def invoke(self, context: InvocationContext) -> ConditioningCollectionOutput:
        return ConditioningCollectionOutput(collection=list(self.collection))


NODES: tuple[type[BaseInvocation], ...] = (
    ImageInvocation,
    ImageCollectionInvocation,
    LatentsInvocation,
    LatentsCollectionInvocation,
    ConditioningInvocation,
    ConditioningCollectionInvocation,
)
