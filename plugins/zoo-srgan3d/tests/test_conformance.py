"""The zoo's conformance kit on both model ids, at tiny sizes."""

from __future__ import annotations

from zoo_core.testing import check_plugin

TINY = [
    "model.patch_size=12",
    "model.block_size=6",
    "model.gen_filters=4",
    "model.disc_filters=4",
    "model.disc_dense=8",
]


def test_plugin_passes_the_conformance_kit():
    checked = check_plugin(
        "srgan3d", tiny={"sanchez-srgan3d": TINY, "sanchez-srgan3d-mni152": TINY}
    )
    assert sorted(checked) == ["sanchez-srgan3d", "sanchez-srgan3d-mni152"]


def test_scale_three_passes_the_kit_checks():
    from zoo_core.registry import get_registry
    from zoo_core.testing.kit import check_architecture

    spec = get_registry().model("sanchez-srgan3d")
    check_architecture(spec, [*TINY, "model.scale_factor=3"])
