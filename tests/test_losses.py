"""Every loss against numbers computed by hand (in the comments)."""

from __future__ import annotations

import math

import pytest
import torch

from zoo_core.errors import ZooError
from zoo_core.losses import adversarial, penalty, perceptual, terms
from zoo_core.registry import get_registry


def t(*values):
    return torch.tensor(values, dtype=torch.float32)


def close(value: torch.Tensor, expected: float) -> None:
    assert value.item() == pytest.approx(expected, rel=1e-6, abs=1e-5)


def test_bce_non_saturating():
    loss = adversarial.BCELoss()
    # softplus(-2) = ln(1 + e^-2) = 0.126928, softplus(0) = ln 2 = 0.693147,
    # softplus(-1) = 0.313262; D = mean(0.126928, 0.693147) + softplus(-1) = 0.723300
    close(loss.d_loss(t(2.0, 0.0), t(-1.0)), 0.410038 + 0.313262)
    # G = -log sigmoid(-1) = softplus(1) = 1.313262 (non-saturating form)
    close(loss.g_loss(t(-1.0)), 1.313262)


def test_lsgan():
    loss = adversarial.LSGANLoss()
    # D = 1/2 mean((1-1)^2, (0-1)^2) + 1/2 (0.5)^2 = 0.25 + 0.125
    close(loss.d_loss(t(1.0, 0.0), t(0.5)), 0.375)
    # G = 1/2 (0.5 - 1)^2 = 0.125
    close(loss.g_loss(t(0.5)), 0.125)


def test_wasserstein():
    loss = adversarial.WassersteinLoss()
    # D = mean(fake) - mean(real) = (-1 + 0.5)/2 - (1 + 3)/2 = -0.25 - 2
    close(loss.d_loss(t(1.0, 3.0), t(-1.0, 0.5)), -2.25)
    # G = -mean(fake) = 0.25
    close(loss.g_loss(t(-1.0, 0.5)), 0.25)


def test_hinge():
    loss = adversarial.HingeLoss()
    # D = mean(relu(1-2), relu(1-0.5)) + mean(relu(1-2), relu(1+0.5)) = 0.25 + 0.75
    close(loss.d_loss(t(2.0, 0.5), t(-2.0, 0.5)), 1.0)
    # G = -mean(-2, 0.5) = 0.75
    close(loss.g_loss(t(-2.0, 0.5)), 0.75)


def test_adversarial_scores_of_any_shape_are_averaged():
    # PatchGAN-style scores (N,1,2,2) all 0 -> BCE D = ln2 + ln2
    scores = torch.zeros(3, 1, 2, 2)
    close(adversarial.BCELoss().d_loss(scores, scores), 2 * math.log(2))


class Linear:
    """D(x) = sum(w * x): its gradient is w everywhere, so the penalty is (|w| - 1)^2."""

    def __init__(self, w):
        self.w = w

    def __call__(self, x, batch=None):
        scale = 1.0 if batch is None else batch["scale"]
        return (x * self.w * scale).flatten(1).sum(1)


@pytest.mark.parametrize("shape", [(2, 1, 1, 2), (2, 1, 1, 1, 2)], ids=["2d", "3d"])
def test_gradient_penalty_2d_and_3d(shape):
    w = t(3.0, 4.0).view(*([1] * (len(shape) - 1)), 2)
    real, fake = torch.randn(shape), torch.randn(shape)
    # |grad| = |(3, 4)| = 5 for every sample and interpolate: (5 - 1)^2 = 16
    close(penalty.GradientPenalty()(Linear(w), real, fake), 16.0)


def test_gradient_penalty_with_a_critic_that_takes_the_batch():
    w = t(3.0, 4.0).view(1, 1, 1, 2)
    real, fake = torch.randn(2, 1, 1, 2), torch.randn(2, 1, 1, 2)
    # grad = 0.2 * (3, 4) = (0.6, 0.8), norm 1: penalty (1 - 1)^2 = 0
    close(penalty.GradientPenalty()(Linear(w), real, fake, batch={"scale": 0.2}), 0.0)
    # the same critic, penalised towards centre 0: (1 - 0)^2 = 1
    close(penalty.GradientPenalty(center=0.0)(Linear(w), real, fake, batch={"scale": 0.2}), 1.0)


def test_gradient_penalty_is_taken_at_the_interpolates_and_backpropagates():
    w = torch.tensor([[[[3.0, 4.0]]]], requires_grad=True)
    x = t(3.0, 4.0).view(1, 1, 1, 2)

    def quadratic(images):  # D(x) = w . x^2 / 2 -> grad = w * x_hat
        return (w * images**2 / 2).flatten(1).sum(1)

    # real == fake, so x_hat = x whatever eps: grad = (9, 16), |grad| = sqrt(337)
    gp = penalty.GradientPenalty()(quadratic, x, x)
    close(gp, (math.sqrt(337) - 1) ** 2)
    gp.backward()  # create_graph=True: the penalty trains the critic
    assert w.grad is not None and w.grad.abs().sum() > 0


def test_l1_l2():
    fake, target = t(1.0, 2.0, 3.0), t(1.0, 0.0, 0.0)
    close(terms.L1Loss()(fake, target), 5 / 3)  # (0 + 2 + 3) / 3
    close(terms.L2Loss()(fake, target), 13 / 3)  # (0 + 4 + 9) / 3


def test_total_variation_2d():
    x = t(0.0, 1.0, 2.0, 4.0).view(1, 1, 2, 2)  # [[0, 1], [2, 4]]
    # vertical diffs |2-0|, |4-1| = 2, 3; horizontal |1-0|, |4-2| = 1, 2
    close(terms.TotalVariation(power=1)(x), 2.5 + 1.5)
    close(terms.TotalVariation(power=2)(x), (4 + 9) / 2 + (1 + 4) / 2)  # 6.5 + 2.5
    close(terms.TotalVariation(power=2, reduction="sum")(x), 4 + 9 + 1 + 4)


def test_total_variation_3d_skips_singleton_axes():
    x = t(0.0, 1.0, 2.0, 4.0).view(1, 1, 2, 1, 2)  # depth 2, height 1, width 2
    # depth diffs 2, 3 (mean 2.5); width diffs 1, 2 (mean 1.5); no height neighbours
    close(terms.TotalVariation(power=1)(x), 4.0)


def test_cycle_consistency():
    cycle = terms.CycleConsistency()
    close(cycle(t(1.0, 1.0), t(0.0, 2.0)), 1.0)  # mean(|1-0|, |1-2|)
    # both directions: 1 + |0 - 3| = 4
    close(cycle([t(1.0, 1.0), t(0.0)], [t(0.0, 2.0), t(3.0)]), 4.0)


def identity(x):
    return [x]


def test_perceptual_with_a_given_extractor():
    fake = t(1.0, 2.0).view(1, 1, 1, 2).requires_grad_(True)
    target = torch.zeros(1, 1, 1, 2, requires_grad=True)
    loss = perceptual.perceptual(extractor=identity)(fake, target)
    close(loss, 2.5)  # (1 + 4) / 2
    close(perceptual.perceptual(extractor=identity, criterion="l1")(fake, target), 1.5)
    loss.backward()
    assert target.grad is None  # the target's features carry no gradient
    assert torch.allclose(fake.grad, t(1.0, 2.0).view(1, 1, 1, 2))  # d/dx mean(x^2) = x


def test_gram_style_loss():
    # features: channel a = [1, 2], channel b = [3, 4] (C = 2, M = 2)
    x = t(1.0, 2.0, 3.0, 4.0).view(1, 2, 1, 2)
    gram = perceptual.gram_matrix(x)  # [[5, 11], [11, 25]] / (C M = 4)
    assert torch.allclose(gram, t(5.0, 11.0, 11.0, 25.0).view(1, 2, 2) / 4)
    # eq. (4) against a zero style image: (25 + 121 + 121 + 625) / (4 C^2 M^2 = 64)
    close(perceptual.style(extractor=identity)(x, torch.zeros_like(x)), 892 / 64)


def test_masked_style_loss_sums_segments():
    x = t(1.0, 2.0, 3.0, 4.0).view(1, 2, 1, 2)
    masks = t(1.0, 0.0, 0.0, 1.0).view(1, 2, 1, 2)  # segment 0 = position 0, 1 = position 1
    # segment 0: a=[1,0], b=[3,0] -> G = [[1,3],[3,9]]: (1+9+9+81)/64 = 1.5625
    # segment 1: a=[0,2], b=[0,4] -> G = [[4,8],[8,16]]: (16+64+64+256)/64 = 6.25
    loss = perceptual.style(extractor=identity)(x, torch.zeros_like(x), masks=masks)
    close(loss, 1.5625 + 6.25)


def test_vgg_refuses_random_weights_unless_allowed(monkeypatch):
    monkeypatch.delenv(perceptual.WEIGHTS_ENV, raising=False)
    with pytest.raises(ZooError, match="weights_path"):
        perceptual.perceptual(layers=("relu1_1",))
    with pytest.warns(UserWarning, match="RANDOM"):
        feats = perceptual.VGGFeatures(("relu1_1", "relu1_2"), allow_random=True)
    out = feats(torch.rand(1, 1, 8, 8) * 2 - 1)
    assert [tuple(o.shape) for o in out] == [(1, 64, 8, 8), (1, 64, 8, 8)]
    # 3D: slices along D become a batch of 2D images
    assert feats(torch.zeros(2, 1, 3, 8, 8))[0].shape == (6, 64, 8, 8)
    with pytest.raises(ZooError, match="unknown VGG-19 layer"):
        perceptual.VGGFeatures(("relu9_9",), allow_random=True)


def test_vgg_reads_a_timm_vgg19_state_dict(tmp_path):
    import timm

    from zoo_core.weights import save_state_dict

    # every tensor of timm's vgg19 checkpoint layout, as timm/vgg19.tv_in1k ships it
    shapes = {k: v.shape for k, v in timm.create_model("vgg19", device="meta").state_dict().items()}
    torch.manual_seed(0)
    state = {k: torch.randn(s) for k, s in shapes.items() if k.startswith("features.")}
    state["head.fc.bias"] = torch.zeros(1000)  # the classifier is ignored
    path = save_state_dict(state, tmp_path / "vgg19.safetensors")
    feats = perceptual.VGGFeatures(("relu5_4",), weights_path=path)
    for key, tensor in feats.features.state_dict().items():
        assert torch.equal(tensor, state[f"features.{key}"]), key
    assert len(feats.features) == 36  # up to relu5_4, the last layer named


def test_vgg_returns_features_in_the_order_the_layers_were_named():
    # Style losses name deep layers after shallow ones (relu5_1 for style, relu4_2 for
    # content): each output must be the layer at its position in the request.
    with pytest.warns(UserWarning, match="RANDOM"):
        feats = perceptual.VGGFeatures(("relu5_1", "relu1_1", "relu4_2"), allow_random=True)
    out = feats(torch.rand(1, 1, 32, 32) * 2 - 1)
    assert [tuple(o.shape) for o in out] == [(1, 512, 2, 2), (1, 64, 32, 32), (1, 512, 4, 4)]


def test_vgg_loads_a_local_weights_file(tmp_path):
    from zoo_core.weights import save_state_dict

    torch.manual_seed(0)
    state = {"features.0.weight": torch.randn(64, 3, 3, 3), "features.0.bias": torch.randn(64)}
    state["head.fc.weight"] = torch.randn(2, 2)  # classifier tensors are ignored
    path = save_state_dict(state, tmp_path / "vgg19.safetensors")
    feats = perceptual.VGGFeatures(("relu1_1",), weights_path=path)
    assert torch.equal(feats.features[0].weight, state["features.0.weight"])
    x = torch.rand(1, 3, 4, 4)
    normalised = ((x + 1) / 2 - feats.mean) / feats.std  # [-1, 1] -> [0, 1] -> ImageNet
    expected = torch.relu(
        torch.nn.functional.conv2d(
            normalised, state["features.0.weight"], state["features.0.bias"], padding=1
        )
    )
    assert torch.allclose(feats(x)[0], expected, atol=1e-5)
    bad = save_state_dict({"x": torch.zeros(1)}, tmp_path / "bad.safetensors")
    with pytest.raises(ZooError, match="not a VGG-19 state dict"):
        perceptual.VGGFeatures(("relu1_1",), weights_path=bad)


def test_losses_resolve_by_name_through_the_registry():
    registry = get_registry()
    assert isinstance(registry.loss("hinge")(), adversarial.HingeLoss)
    assert isinstance(registry.loss("gradient_penalty")(), penalty.GradientPenalty)
    names = {
        "bce",
        "lsgan",
        "wgan",
        "hinge",
        "gradient_penalty",
        "l1",
        "l2",
        "perceptual",
        "style",
        "tv",
        "cycle",
    }
    assert names <= set(registry.losses)
    close(registry.loss("tv")(power=1)(t(0.0, 1.0, 2.0, 4.0).view(1, 1, 2, 2)), 4.0)
    with pytest.raises(ZooError, match="Unknown loss 'nope'"):
        registry.loss("nope")


def test_inception_features_are_the_fid_networks_layers_in_the_order_named():
    from zoo_core.losses import InceptionFeatures

    feats = InceptionFeatures(("Mixed_5d", "Conv2d_1a_3x3"))
    images = torch.rand(2, 1, 64, 64) * 2 - 1
    deep, first = feats(images)
    # 299 input: the first stride-2 convolution gives 149, Mixed_5d 35 (as in torchvision)
    assert first.shape == (2, 32, 149, 149) and deep.shape == (2, 288, 35, 35)
    assert float(first.min()) >= 0  # each tapped layer ends in its ReLU
    assert len(feats.blocks) == 10  # nothing past the deepest layer asked for is kept
    # The same pictures in another value range give the same features.
    unit = InceptionFeatures(("Conv2d_1a_3x3",), value_range=(0.0, 1.0))
    torch.testing.assert_close(unit((images + 1) / 2)[0], first, atol=1e-4, rtol=1e-4)
    with pytest.raises(ZooError, match="unknown Inception-v3 layer"):
        InceptionFeatures(("relu4_2",))


def test_inception_features_without_input_size_keep_the_images_grid():
    from zoo_core.losses import InceptionFeatures

    feats = InceptionFeatures(("Conv2d_4a_3x3", "Mixed_5d"), input_size=None)
    # side 8 m + 19 -> m at Mixed_5d, 2 m + 1 at Conv2d_4a_3x3, whatever the side
    for m in (4, 16):
        patch, deep = feats(torch.rand(1, 1, 8 * m + 19, 8 * m + 19))
        assert patch.shape[-2:] == (2 * m + 1,) * 2 and deep.shape[-2:] == (m, m)
    # not resized: a feature at the top-left corner sees only the corner's pixels
    image = torch.zeros(1, 1, 83, 83)
    corner = feats(image)[0][..., 0, 0].clone()
    image[..., 60:, 60:] = 1.0
    torch.testing.assert_close(feats(image)[0][..., 0, 0], corner)


def test_inception_features_are_frozen_but_pass_gradients_to_the_image():
    from zoo_core.losses import InceptionFeatures

    feats = InceptionFeatures(("Conv2d_4a_3x3",)).train()
    assert not feats.training and not any(p.requires_grad for p in feats.parameters())
    image = torch.zeros(1, 1, 32, 32, requires_grad=True)
    feats(image)[0].square().mean().backward()
    assert image.grad is not None and float(image.grad.abs().sum()) > 0
