"""Per-region style/content terms (eqs. 6, 7) and TV (eq. 5) against hand-computed values."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zoo_stylecgan.losses import (
    INCEPTION_SOURCE,
    SegmentLosses,
    features_from_config,
    region_masks,
    segment_content_terms,
    segment_style_terms,
    vgg_features,
)

from zoo_core.errors import ConfigError
from zoo_core.losses import PerceptualLoss, StyleLoss, TotalVariation, gram_matrix


def test_per_region_gram_style_matches_hand_computation():
    # Features (N=1, C=2, H=1, W=2): channel 0 = [1, 2], channel 1 = [3, 4]; region 0 is the
    # left pixel, region 1 the right one, in both images.
    fake = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    style = torch.tensor([[[[2.0, 0.0]], [[0.0, 1.0]]]])
    masks = torch.tensor([[[[1.0, 0.0]], [[0.0, 1.0]]]])
    # Region 0: G(R)=[[1,3],[3,9]]/4, G(S)=[[4,0],[0,0]]/4; 1/4 * sum of squared differences
    #   = 1/4 * (0.75^2 * 3 + 2.25^2) = 1.6875.
    # Region 1: G(R)=[[4,8],[8,16]]/4, G(S)=[[0,0],[0,1]]/4 -> 1/4 * (1 + 4 + 4 + 3.75^2) = 5.765625
    terms = segment_style_terms([fake], [style], masks, masks)
    torch.testing.assert_close(terms, torch.tensor([1.6875, 5.765625]))


def test_masked_gram_is_the_gram_of_the_region_only():
    torch.manual_seed(0)
    features = torch.randn(2, 4, 6, 6)
    ones = torch.ones(2, 1, 6, 6)
    torch.testing.assert_close(gram_matrix(features, ones), gram_matrix(features))
    mask = torch.zeros(2, 1, 6, 6)
    mask[..., 1:4, 2:5] = 1
    # only the region's 9 pixels enter the Gram, still normalised by all M = 36 positions
    inside = features[..., 1:4, 2:5].flatten(2)
    by_hand = inside @ inside.transpose(1, 2) / (4 * 36)
    torch.testing.assert_close(gram_matrix(features, mask), by_hand)
    assert bool((gram_matrix(features, mask) != 0).all())
    changed = features + 5 * torch.randn_like(features) * (1 - mask)  # outside the region only
    torch.testing.assert_close(gram_matrix(changed, mask), gram_matrix(features, mask))
    assert not torch.allclose(gram_matrix(changed), gram_matrix(features))


def test_regions_isolate_their_terms():
    torch.manual_seed(1)
    index = torch.zeros(1, 1, 8, 8, dtype=torch.long)
    index[..., 4:, :] = 1
    index[..., :, 6:] = 2
    masks = region_masks(index, 3)
    fake, style, content = torch.randn(3, 1, 5, 8, 8).unbind(0)
    changed = fake.clone()
    changed[masks[:, 1:2].expand_as(fake) == 0] += 3.0  # every pixel outside region 1
    before = segment_style_terms([fake], [style], masks, masks)
    after = segment_style_terms([changed], [style], masks, masks)
    assert after[1] == before[1]
    assert after[0] != before[0] and after[2] != before[2]
    c_before = segment_content_terms(fake, content, masks)
    c_after = segment_content_terms(changed, content, masks)
    assert c_after[1] == c_before[1] and c_after[0] != c_before[0]


def test_segment_losses_match_the_core_terms_on_a_partition():
    """Pixel-wise features (1x1 conv, no spatial mixing): the image-level plumbing isolates
    regions, eq. (6) equals the core's masked StyleLoss and eq. (7) summed over a partition is
    the core's 0.5 * MSE content loss."""
    torch.manual_seed(2)
    conv = nn.Conv2d(1, 4, 1)
    extractor = lambda x: [torch.relu(conv(x)), torch.relu(conv(x) * 2)]  # noqa: E731
    losses = SegmentLosses(extractor, ["a"], "b", 3)
    losses.style_slots, losses.content_slot = [0], 1
    index = torch.randint(3, (2, 1, 8, 8))
    style_index = torch.randint(3, (2, 1, 8, 8))
    fake, style, content = torch.randn(3, 2, 1, 8, 8).unbind(0)
    out = losses(fake, index, style, style_index, content=content)
    assert out["style_terms"].shape == (3,) and out["content_terms"].shape == (3,)
    core_style = StyleLoss(lambda x: [extractor(x)[0]], None)(
        fake, style, masks=region_masks(index, 3), style_masks=region_masks(style_index, 3)
    )
    torch.testing.assert_close(out["style"], core_style)
    core_content = PerceptualLoss(lambda x: [extractor(x)[1]])(fake, content)
    torch.testing.assert_close(out["content"], 0.5 * core_content)
    changed = fake.clone()
    changed[region_masks(index, 3)[:, 2:3] == 0] -= 1.0  # outside region 2
    again = losses(changed, index, style, style_index, content=content)
    torch.testing.assert_close(again["style_terms"][2], out["style_terms"][2])
    torch.testing.assert_close(again["content_terms"][2], out["content_terms"][2])


def test_vgg_style_is_zero_for_identical_images_and_has_six_terms(quiet_random_vgg):
    layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1", "relu4_2"]
    losses = SegmentLosses(
        vgg_features(layers, allow_random=True),
        ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
        "relu4_2",
        6,
    )
    torch.manual_seed(3)
    image = torch.rand(1, 1, 32, 32) * 2 - 1
    index = torch.randint(6, (1, 1, 4, 4)).repeat_interleave(8, 2).repeat_interleave(8, 3)
    same = losses(image, index, image, index, content=image)
    assert same["style_terms"].shape == (6,) and same["content_terms"].shape == (6,)
    assert float(same["style"]) == 0.0 and float(same["content"]) == 0.0
    other = losses(image.flip(-1), index, image, index, content=image)
    assert float(other["style"]) > 0 and float(other["content"]) > 0


def test_content_and_style_read_the_layers_they_name(quiet_random_vgg):
    # vgg_from_config asks for the style layers, then the content layer: relu4_2 comes after
    # relu5_1 in the request but before it in VGG-19.
    layers = ["relu1_1", "relu5_1", "relu4_2"]
    losses = SegmentLosses(vgg_features(layers, allow_random=True), layers[:2], "relu4_2", 6)
    feats = losses._extract(torch.zeros(1, 1, 64, 64), grad=False)
    assert [feats[i].shape[1:] for i in losses.style_slots] == [(64, 64, 64), (512, 4, 4)]
    assert feats[losses.content_slot].shape[1:] == (512, 8, 8)


def test_random_vgg_only_on_request(monkeypatch):
    monkeypatch.delenv("ZOO_VGG19_WEIGHTS", raising=False)
    with pytest.raises(ConfigError, match=r"train\.vgg_weights"):
        vgg_features(["relu1_1"], hub_repo=None, allow_random=False)
    with pytest.warns(UserWarning, match="RANDOM weights"):
        features = vgg_features(["relu1_1"], hub_repo=None, allow_random=True)
    assert "random" in features.source
    with pytest.raises(ConfigError, match="does not exist"):
        vgg_features(["relu1_1"], weights="/no/such/vgg19.safetensors")


def test_the_headct_config_trains_on_the_shipped_inception_network():
    from zoo_core.api import model_config

    train = model_config("krishna-stylecgan-headct").train
    losses = SegmentLosses.from_config(train, 6)
    assert losses.features.source == INCEPTION_SOURCE  # trained weights, found offline
    image = torch.rand(1, 1, 128, 128) * 2 - 1
    index = torch.randint(6, (1, 1, 8, 8)).repeat_interleave(16, 2).repeat_interleave(16, 3)
    same = losses(image, index, image, index, content=image)
    assert float(same["style"]) == 0.0 and float(same["content"]) == 0.0
    fake = image.flip(-1).requires_grad_(True)
    other = losses(fake, index, image, index, content=image)
    assert float(other["style"]) > 0 and float(other["content"]) > 0
    other["style"].backward()
    assert float(fake.grad.abs().sum()) > 0
    train.feature_network = "resnet50"
    with pytest.raises(ConfigError, match="vgg19 or inception-v3, not 'resnet50'"):
        features_from_config(train)
    train.feature_network, train.content_layer = "inception-v3", "relu4_2"
    unknown = r"inception-v3: unknown Inception-v3 layer\(s\) \['relu4_2'\]"
    with pytest.raises(ConfigError, match=unknown):
        features_from_config(train)


def test_total_variation_matches_hand_value():
    x = torch.tensor([[[[0.0, 1.0], [3.0, 6.0]]]])
    # vertical differences 3, 5 -> squares 9, 25, mean 17; horizontal 1, 3 -> 1, 9, mean 5
    assert float(TotalVariation(power=2, reduction="mean")(x)) == 22.0
    assert float(TotalVariation(power=2, reduction="sum")(x)) == 44.0


def test_vgg_weights_in_the_hugging_face_cache_are_used_without_asking_the_hub(
    tmp_path, monkeypatch
):
    from huggingface_hub import constants
    from zoo_stylecgan.losses import resolve_vgg_weights

    commit = "0" * 40
    repo = tmp_path / "models--timm--vgg19.tv_in1k"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    weights = repo / "snapshots" / commit / "model.safetensors"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"cached")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.delenv("ZOO_VGG19_WEIGHTS", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("the Hub was asked although the cache holds the weights")

    monkeypatch.setattr("huggingface_hub.hf_hub_download", no_network)
    path, where = resolve_vgg_weights(None, "timm/vgg19.tv_in1k")
    assert path == str(weights) and where == "Hugging Face cache of timm/vgg19.tv_in1k"


def test_per_region_grams_compare_texture_whatever_the_regions_size():
    # The same texture (a constant 1) over one pixel of four in the fake and over all four in
    # the style: eq. (6) sees a quarter of the style's Gram, the per-region norm the same one.
    fake = torch.ones(1, 1, 2, 2)
    mask_fake = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    mask_style = torch.ones(1, 1, 2, 2)
    paper = segment_style_terms([fake], [fake], mask_fake, mask_style)
    assert float(paper[0]) == pytest.approx(0.25 * (0.25 - 1.0) ** 2)
    region = segment_style_terms([fake], [fake], mask_fake, mask_style, per_region=True)
    assert float(region[0]) == 0.0
    # A region the style slice lacks has no texture to give: no term (eq. 6 would ask for 0).
    absent = segment_style_terms([fake], [fake], mask_fake, torch.zeros(1, 1, 2, 2), True)
    assert float(absent[0]) == 0.0


def test_precomputed_target_features_give_the_same_terms(quiet_random_vgg):
    layers = ["relu1_1", "relu2_1", "relu4_2"]
    losses = SegmentLosses(vgg_features(layers, allow_random=True), layers[:2], "relu4_2", 6, True)
    torch.manual_seed(5)
    fake, style, content = (torch.rand(1, 1, 32, 32) * 2 - 1 for _ in range(3))
    index = torch.randint(6, (1, 1, 4, 4)).repeat_interleave(8, 2).repeat_interleave(8, 3)
    direct = losses(fake, index, style, index.flip(-1), content=content)
    cached = losses(fake, index, None, index.flip(-1),
                    style_features=losses.target_features(style),
                    content_features=losses.target_features(content))  # fmt: skip
    torch.testing.assert_close(cached["style_terms"], direct["style_terms"], rtol=0, atol=0)
    torch.testing.assert_close(cached["content_terms"], direct["content_terms"], rtol=0, atol=0)
