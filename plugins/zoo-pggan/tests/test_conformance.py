"""The zoo's conformance kit on every pggan id, at the ArchSpec's tiny size."""

from __future__ import annotations

from zoo_core.testing import check_plugin


def test_plugin_passes_the_conformance_kit():
    assert sorted(check_plugin("pggan")) == [
        "beers-pggan-brats",
        "beers-pggan-mni152",
        "beers-pggan-retina",
        "beers-pggan-rop",
    ]


def test_the_kit_also_passes_mid_fade_in(tiny_model):
    """Backward reaches every parameter the optimisers get while a level fades in."""
    model = tiny_model()
    model.set_phase(2, 0.4)
    batch = model.prepare_batch(model.example_batch(4))
    fake = model.fake_batch(batch)
    (model.critic(fake, batch).mean() + model.critic(batch["target"], batch).mean()).backward()
    params = model.generator_parameters() + model.discriminator_parameters()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in params)
    assert all(p.grad is None for p in model.generator.blocks[3:].parameters())  # not grown
