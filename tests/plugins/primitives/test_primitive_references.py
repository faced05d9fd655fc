"""Image, latents and conditioning primitives pass references on and read sizes from the store."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nodeloom import ConditioningField, ImageField, LatentsField
from nodeloom_primitives.references import (
    ConditioningCollectionInvocation,
    ConditioningInvocation,
    ImageCollectionInvocation,
    ImageInvocation,
    LatentsCollectionInvocation,
    LatentsInvocation,
)


def test_image_primitive_reports_the_stored_size(context):
    saved = context.images.save(Image.new("RGB", (64, 48), color=(255, 0, 0)))
    output = ImageInvocation(id="n", image=saved).invoke(context)
    assert output.type == "image_output"
    assert output.image == ImageField(image_name=saved.image_name)
    assert (output.width, output.height) == (64, 48)


def test_image_primitive_accepts_graph_json(context):
    saved = context.images.save(Image.new("L", (7, 9)))
    node = ImageInvocation.model_validate(
        {"id": "n", "type": "image", "image": {"image_name": saved.image_name}}
    )
    assert (node.invoke(context).width, node.invoke(context).height) == (7, 9)


def test_image_primitive_with_unknown_image_fails(context):
    node = ImageInvocation(id="n", image=ImageField(image_name="0" * 32 + ".png"))
    with pytest.raises(LookupError, match="does not exist"):
        node.invoke(context)


def test_image_primitive_without_an_image_names_the_input(context):
    with pytest.raises(ValueError, match="input 'image' has no value"):
        ImageInvocation(id="n").invoke(context)


def test_image_collection(context):
    images = [ImageField(image_name="a.png"), ImageField(image_name="b.png")]
    output = ImageCollectionInvocation(id="n", collection=images).invoke(context)
    assert output.type == "image_collection_output"
    assert [image.image_name for image in output.collection] == ["a.png", "b.png"]


def test_latents_primitive_reports_pixel_size_and_keeps_the_seed(context):
    name = context.tensors.save(np.zeros((1, 4, 96, 64), dtype=np.float32))
    node = LatentsInvocation(id="n", latents=LatentsField(latents_name=name, seed=123))
    output = node.invoke(context)
    assert output.type == "latents_output"
    assert output.latents == LatentsField(latents_name=name, seed=123)
    assert (output.width, output.height) == (64 * 8, 96 * 8)


def test_latents_primitive_rejects_a_one_dimensional_tensor(context):
    name = context.tensors.save(np.zeros((4,), dtype=np.float32))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        LatentsInvocation(id="n", latents=LatentsField(latents_name=name)).invoke(context)


def test_latents_collection(context):
    latents = [LatentsField(latents_name="x", seed=1), LatentsField(latents_name="y")]
    output = LatentsCollectionInvocation(id="n", collection=latents).invoke(context)
    assert output.type == "latents_collection_output"
    assert output.collection == latents


def test_conditioning_primitive_and_collection(context):
    field = ConditioningField(conditioning_name="c1")
    single = ConditioningInvocation(id="n", conditioning=field).invoke(context)
    assert single.type == "conditioning_output"
    assert single.conditioning == field
    many = ConditioningCollectionInvocation(id="n", collection=[field, field]).invoke(context)
    assert many.type == "conditioning_collection_output"
    assert many.collection == [field, field]
    assert ConditioningCollectionInvocation(id="n").invoke(context).collection == []
