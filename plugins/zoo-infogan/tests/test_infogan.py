"""InfoGAN: conformance, the mutual-information term by hand, shapes, the Q head."""

import math

import torch

from zoo_core.testing import check_plugin, tiny_model

ID = "chen-infogan-mni152"


def test_plugin_passes_the_conformance_kit():
    assert check_plugin("infogan") == [ID]


def test_mutual_information_term_by_hand():
    model = tiny_model(ID, "model.categories=2", "model.continuous=1",
                       "model.lambda_categorical=1.0", "model.lambda_continuous=0.5")  # fmt: skip
    # Q says: categorical logits (0, 0); continuous mean 0, log-std 0 (a unit Gaussian)
    model.discriminator.codes = lambda x: (torch.zeros(1, 2), torch.zeros(1, 1), torch.zeros(1, 1))
    batch = {"code_cat": torch.tensor([1]), "code_cont": torch.tensor([[1.0]])}
    # CE = log 2; NLL(1 | N(0, 1)) = 0.5 log(2 pi) + 0.5
    expected = math.log(2) + 0.5 * (0.5 * math.log(2 * math.pi) + 0.5)
    value = model.auxiliary_loss(batch, torch.zeros(1, 1, 16, 16))
    assert math.isclose(float(value), expected, rel_tol=1e-6)


def test_codes_shapes_and_q_head():
    model = tiny_model(ID)
    batch = model.prepare_batch(model.example_batch(3))
    assert batch["code_cat"].shape == (3,) and batch["code_cont"].shape == (3, 2)
    assert batch["code_cont"].abs().max() <= 1
    fake = model.fake_batch(batch)
    logits, mean, log_std = model.discriminator.codes(fake)
    assert fake.shape == (3, 1, 16, 16)
    assert logits.shape == (3, 4) and mean.shape == (3, 2) and log_std.shape == (3, 2)
    out = model.generate_codes(torch.tensor([1, 1]), torch.tensor([[-1.0, 0], [1.0, 0]]), seed=0)
    assert out.shape == (2, 1, 16, 16)


def test_both_optimisers_train_the_q_head_and_the_generator_feeds_it():
    """The kit checks that training moves each player, not which of its parts: Q shares
    the discriminator's trunk and is trained with it, and the MI term reaches the generator."""
    model = tiny_model(ID)
    trained = {id(p) for p in model.discriminator_parameters()}
    assert all(id(p) in trained for p in model.discriminator.q.parameters())
    batch = model.prepare_batch(model.example_batch(2))
    model.auxiliary_loss(batch, model.fake_batch(batch)).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.generator_parameters())


def test_networks_are_chen_et_al_s_mnist_table_at_28x28():
    model = tiny_model(ID, "model.resolution=28", "model.categories=10", tiny=False)
    g, d = model.generator, model.discriminator
    layers = (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)

    def sizes(module):
        return [
            (m.in_features, m.out_features) if isinstance(m, torch.nn.Linear)
            else (m.in_channels, m.out_channels, m.kernel_size, m.stride)
            for m in module.modules() if isinstance(m, layers)
        ]  # fmt: skip

    # G: 62 noise + 10 categorical + 2 continuous -> FC 1024 -> FC 7x7x128 -> 64 -> 1
    assert sizes(g) == [(74, 1024), (1024, 7 * 7 * 128), (128, 64, (4, 4), (2, 2)),
                        (64, 1, (4, 4), (2, 2))]  # fmt: skip
    # D: 64 -> 128 -> FC 1024 -> 1; Q: FC 128 -> 10 logits + 2 means + 2 log-stds
    assert sizes(d.trunk) == [(1, 64, (4, 4), (2, 2)), (64, 128, (4, 4), (2, 2)),
                              (7 * 7 * 128, 1024)]  # fmt: skip
    assert sizes(d.source) == [(1024, 1)] and sizes(d.q) == [(1024, 128), (128, 14)]
    assert model.generate(n=2, seed=0).shape == (2, 1, 28, 28)


def _banded_split(root, levels: int, per_level: int):
    """``root/{train,test}/v.nii``: axial slice k of level L = k // per_level is noise with
    a bright band in rows 4L..4L+3, so a slice's level shows in the picture."""
    import nibabel as nib
    import numpy as np

    rng = np.random.default_rng(0)
    for part in ("train", "test"):
        volume = rng.uniform(0.1, 0.4, size=(16, 16, levels * per_level)).astype(np.float32)
        for k in range(volume.shape[2]):
            level = k // per_level
            volume[4 * level : 4 * level + 4, :, k] += 0.6
        (root / part).mkdir(parents=True)
        nib.save(nib.Nifti1Image(volume, np.eye(4)), str(root / part / "v.nii"))
    return root


def test_zoo_evaluate_matches_each_code_to_the_level_it_draws(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner
    from zoo_infogan import TINY
    from zoo_infogan.evaluation import SAMPLES_PER_CODE
    from zoo_infogan.model import InfoGAN

    import zoo_core as zoo
    from zoo_core.cli import cli

    split = _banded_split(tmp_path / "split", levels=4, per_level=6)
    model = zoo.load(ID, pretrained=False, overrides=[*TINY, "model.categories=4"])
    folder = model.save_pretrained(tmp_path / "model")
    pooled = lambda x: torch.nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)  # noqa: E731
    monkeypatch.setattr("zoo_core.metrics.features.get_extractor", lambda *a, **k: pooled)

    def draws_level_after_code(self, cat, cont, seed=None):
        """Code c draws a band at level (c + 1) % 4, in the model's [-1, 1] units."""
        images = torch.full((len(cat), 1, 16, 16), -0.6)
        for i, c in enumerate(cat.tolist()):
            level = (c + 1) % 4
            images[i, 0, 4 * level : 4 * level + 4] = 0.8
        return images

    monkeypatch.setattr(InfoGAN, "generate_codes", draws_level_after_code)
    result = CliRunner().invoke(cli, ["evaluate", str(folder), "--real", str(split), "--json",
                                      "--out", str(tmp_path / "eval")])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    agreement = report["code_agreement"]
    assert agreement["assignment"] == {"0": 1, "1": 2, "2": 3, "3": 0}
    assert agreement["accuracy"] == 1.0 and agreement["n_generated"] == 4 * SAMPLES_PER_CODE
    assert agreement["classifier_accuracy_unseen_real"] == 1.0
    assert report["distribution"]["n_held_out"] == 24
    markdown = (tmp_path / "eval" / "metrics.md").read_text()
    assert "| 0 | 0 | 64 | 0 | 0 | level 1 |" in markdown
