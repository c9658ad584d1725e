"""Feature-space losses: perceptual/content (Johnson et al., Gatys et al.) and Gram style.

Both compare images through a frozen feature extractor. The default extractor is timm's VGG-19
convolutional part (:class:`VGGFeatures`); its ImageNet weights cannot be downloaded at run
time, so the factories need a local weights file (``weights_path=`` or the environment
variable ``ZOO_VGG19_WEIGHTS``) and refuse to run with random weights unless
``allow_random=True`` — a randomly initialised VGG gives a loss, but not a perceptual one.
:func:`resolve_vgg_weights` is where the weights come from, for the core and for plugins
(which may also look in the Hugging Face cache or on the Hub).
Any callable that maps images to a list of feature maps can be passed as ``extractor``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.errors import ZooError

WEIGHTS_ENV = "ZOO_VGG19_WEIGHTS"
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)

Extractor = Callable[[torch.Tensor], Sequence[torch.Tensor]]


def resolve_vgg_weights(
    path: str | Path | None = None, hub_repo: str | None = None
) -> tuple[str | None, str]:
    """Where VGG-19's ImageNet weights come from: ``(file or None, description)``.

    Order: the named file, ``$ZOO_VGG19_WEIGHTS``, then, given a ``hub_repo``, its
    ``model.safetensors`` (found in the Hugging Face cache, else downloaded when online).
    Whether a named file exists is the caller's to check (each names its own setting).
    """
    if path:
        return str(path), f"file {path}"
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return env, f"file {env} (${WEIGHTS_ENV})"
    if hub_repo:
        from huggingface_hub import hf_hub_download, try_to_load_from_cache

        # A cached copy first: asking the Hub offline costs ~30 s of client retries.
        cached = try_to_load_from_cache(hub_repo, "model.safetensors")
        if isinstance(cached, str):
            return cached, f"Hugging Face cache of {hub_repo}"
        try:
            found = hf_hub_download(hub_repo, "model.safetensors")
            return found, f"Hugging Face Hub {hub_repo}"
        except Exception as exc:  # offline without a cached copy, or no such repo
            return None, f"Hub {hub_repo} unavailable ({type(exc).__name__})"
    return None, "no source"


def _vgg19_layers() -> tuple[nn.Sequential, dict[str, int]]:
    """timm's VGG-19 ``features`` (the indices of its and torchvision's weights) with layer
    names (``relu4_2``...), initialised as timm initialises them.

    The network is built on the meta device and only ``features`` is materialised: the
    classifier (a 7x7 conv to 4096 channels, 400 MB) is never allocated.
    """
    import timm

    features = timm.create_model("vgg19", pretrained=False, device="meta").features
    features = features.to_empty(device="cpu")
    names: dict[str, int] = {}
    block, conv = 1, 1
    for index, layer in enumerate(features):
        if isinstance(layer, nn.MaxPool2d):
            names[f"pool{block}"] = index
            block, conv = block + 1, 1
        elif isinstance(layer, nn.Conv2d):
            names[f"conv{block}_{conv}"] = index
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.ReLU):
            names[f"relu{block}_{conv}"] = index
            layer.inplace = False  # a tapped map must not be overwritten by the next layer
            conv += 1
    return features, names


class VGGFeatures(nn.Module):
    """Frozen VGG-19 feature maps at named layers (``relu4_2``...), for images in ``value_range``.

    ``forward`` returns one map per name in ``layers``, in that order.

    Grey images are repeated to three channels and ImageNet-normalised; 3D batches
    (N,C,D,H,W) are scored slice by slice along D, since VGG is a 2D network.
    """

    def __init__(
        self,
        layers: Sequence[str] = ("relu4_2",),
        weights_path: str | Path | None = None,
        allow_random: bool = False,
        value_range: Sequence[float] = (-1.0, 1.0),
    ):
        super().__init__()
        features, names = _vgg19_layers()
        unknown = [name for name in layers if name not in names]
        if unknown:
            raise ZooError(f"unknown VGG-19 layer(s) {unknown}; known: {', '.join(names)}")
        self.indices = [names[name] for name in layers]
        self.features = features[: max(self.indices) + 1]
        weights_path, _ = resolve_vgg_weights(weights_path)
        if weights_path:
            self._load(Path(weights_path))
        elif allow_random:
            warnings.warn(
                "VGG-19 features with RANDOM weights: the perceptual/style loss will not measure "
                f"perception. Pass weights_path= (or set {WEIGHTS_ENV}) for real ones.",
                UserWarning,
                stacklevel=2,
            )
        else:
            raise ZooError(
                "the VGG-19 perceptual/style loss needs ImageNet weights, which cannot be "
                "downloaded here. Save them as safetensors (e.g. model.safetensors of the Hub "
                f"repo timm/vgg19.tv_in1k) and pass weights_path=FILE, set {WEIGHTS_ENV}=FILE, "
                "or set train.loss_options.<name>.weights_path; allow_random=True runs with "
                "random weights (tests only)."
            )
        self.requires_grad_(False)
        self.eval()
        low, high = value_range
        self.register_buffer("offset", torch.tensor(float(low)), persistent=False)
        self.register_buffer("scale", torch.tensor(float(high - low)), persistent=False)
        mean, std = torch.tensor(_IMAGENET_MEAN), torch.tensor(_IMAGENET_STD)
        self.register_buffer("mean", mean.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", std.view(1, 3, 1, 1), persistent=False)

    def _load(self, path: Path) -> None:
        from zoo_core.weights import load_state_dict

        if not path.is_file():
            raise ZooError(f"VGG-19 weights file {path} does not exist.")
        state = {}
        for key, value in load_state_dict(path).items():
            # timm/torchvision full models: features.N.weight; timm features_only: features_N.weight
            match = re.match(r"^(?:.*\.)?features[._](\d+)\.(weight|bias)$", key)
            if match and int(match.group(1)) < len(self.features):
                state[f"{match.group(1)}.{match.group(2)}"] = value
        missing, _ = self.features.load_state_dict(state, strict=False)
        if missing:
            raise ZooError(
                f"{path} is not a VGG-19 state dict: no tensors for features {missing[:4]} "
                "(expected keys like 'features.0.weight')."
            )

    def train(self, mode: bool = True) -> VGGFeatures:
        return super().train(False)  # always frozen, whatever the trainer does

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = rgb_slices(images, "VGG")
        x = ((x - self.offset) / self.scale - self.mean) / self.std
        return tapped(self.features, x, self.indices)


def rgb_slices(images: torch.Tensor, network: str) -> torch.Tensor:
    """Images as a 2D network takes them: float, (N, 3, H, W). Grey is repeated to three
    channels; 3D batches (N, C, D, H, W) become their D slices, since the network is 2D."""
    x = images.float()
    if x.ndim == 5:  # N,C,D,H,W -> (N*D),C,H,W
        x = x.transpose(1, 2).flatten(0, 1)
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ZooError(
            f"{network} features need (N, 1 or 3, H, W) or (N, 1 or 3, D, H, W) images, "
            f"got {tuple(images.shape)}."
        )
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def tapped(layers: Sequence[nn.Module], x: torch.Tensor, taps: Sequence[int]) -> list[torch.Tensor]:
    """Run ``x`` through ``layers`` and return the outputs of the layers at ``taps``, in the
    order the taps were asked for, not the network's: callers index by it."""
    outputs: dict[int, torch.Tensor] = {}
    for index, layer in enumerate(layers):
        x = layer(x)
        if index in taps:
            outputs[index] = x
    return [outputs[index] for index in taps]


def _as_list(features: Any) -> list[torch.Tensor]:
    if isinstance(features, torch.Tensor):
        return [features]
    if isinstance(features, dict):
        return list(features.values())
    return list(features)


class _FeatureLoss(nn.Module):
    def __init__(self, extractor: Extractor, layer_weights: Sequence[float] | None):
        super().__init__()
        self.extractor = extractor
        self.layer_weights = list(layer_weights) if layer_weights is not None else None

    def _weights(self, count: int) -> list[float]:
        if self.layer_weights is None:
            return [1.0] * count
        if len(self.layer_weights) != count:
            raise ZooError(f"{len(self.layer_weights)} layer weights for {count} feature maps")
        return self.layer_weights

    def _features(self, images: torch.Tensor) -> list[torch.Tensor]:
        if isinstance(self.extractor, nn.Module):
            self.extractor.to(images.device)
        return _as_list(self.extractor(images))


class PerceptualLoss(_FeatureLoss):
    """Content loss: distance between feature maps of ``fake`` and ``target``, summed over layers.

    ``criterion="mse"`` is the mean squared difference per layer; Gatys et al.'s and Krishna &
    Mueller's ``1/(2 N_l M_l) ||R - O||^2`` is 0.5 times it. ``criterion="l1"`` is the mean
    absolute difference. The target's features carry no gradient.
    """

    def __init__(
        self,
        extractor: Extractor,
        criterion: str = "mse",
        layer_weights: Sequence[float] | None = None,
    ):
        super().__init__(extractor, layer_weights)
        if criterion not in ("mse", "l1"):
            raise ZooError(f"perceptual criterion must be 'mse' or 'l1', not {criterion!r}")
        self.criterion = criterion

    def forward(self, fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fake_features = self._features(fake)
        with torch.no_grad():
            target_features = [f.detach() for f in self._features(target)]
        distance = F.mse_loss if self.criterion == "mse" else F.l1_loss
        weights = self._weights(len(fake_features))
        total = fake.new_zeros((), dtype=torch.float32)
        for w, f, t in zip(weights, fake_features, target_features, strict=True):
            total = total + w * distance(f.float(), t.float())
        return total


def gram_matrix(features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``F F^T / (C M)`` per sample for features (N, C, *spatial) with M spatial positions.

    With ``mask`` (N, 1, *spatial), features outside the mask are zeroed first (Krishna &
    Mueller's per-organ style); the normalisation keeps the full M so that eq. (6) holds.
    """
    if mask is not None:
        features = features * mask
    flat = features.float().flatten(2)
    channels, positions = flat.shape[1], flat.shape[2]
    return flat @ flat.transpose(1, 2) / (channels * positions)


class StyleLoss(_FeatureLoss):
    """Gram-matrix style loss of Gatys et al. eq. (4), summed over layers (and segments).

    Per layer ``1/(4 N_l^2 M_l^2) sum_ij (G(R) - G(S))^2`` with unnormalised Grams, i.e.
    ``1/4 sum_ij`` of the differences of :func:`gram_matrix`, averaged over the batch. With
    ``masks`` (N, S, *spatial; one channel per segment) the Grams are taken per segment and
    summed, as in Krishna & Mueller eq. (6); ``style_masks`` are the style image's segments
    (default: the same masks).
    """

    def forward(
        self,
        fake: torch.Tensor,
        style: torch.Tensor,
        masks: torch.Tensor | None = None,
        style_masks: torch.Tensor | None = None,
    ) -> torch.Tensor:
        fake_features = self._features(fake)
        with torch.no_grad():
            style_features = [f.detach() for f in self._features(style)]
        weights = self._weights(len(fake_features))
        segments: list[tuple[torch.Tensor | None, torch.Tensor | None]] = [(None, None)]
        if masks is not None:
            style_masks = masks if style_masks is None else style_masks
            segments = [
                (masks[:, s : s + 1].float(), style_masks[:, s : s + 1].float())
                for s in range(masks.shape[1])
            ]
        total = fake.new_zeros((), dtype=torch.float32)
        for w, f, s in zip(weights, fake_features, style_features, strict=True):
            for mask, style_mask in segments:
                gram_f = gram_matrix(f, _resize(mask, f, fake))
                gram_s = gram_matrix(s, _resize(style_mask, s, style))
                total = total + w * 0.25 * ((gram_f - gram_s) ** 2).sum(dim=(1, 2)).mean()
        return total


def _resize(mask: torch.Tensor | None, features: torch.Tensor, images: torch.Tensor):
    """A segment mask at the resolution of a feature map (3D images are folded like VGG does)."""
    if mask is None:
        return None
    if mask.ndim == 5 and features.ndim == 4:
        mask = mask.transpose(1, 2).flatten(0, 1)
    return F.interpolate(mask, size=features.shape[2:], mode="nearest")


def _extractor(
    extractor: Extractor | None,
    layers: Sequence[str],
    weights_path: str | None,
    allow_random: bool,
    value_range: Sequence[float],
) -> Extractor:
    if extractor is not None:
        return extractor
    return VGGFeatures(layers, weights_path, allow_random, value_range)


def perceptual(
    extractor: Extractor | None = None,
    layers: Sequence[str] = ("relu4_2",),
    criterion: str = "mse",
    layer_weights: Sequence[float] | None = None,
    weights_path: str | None = None,
    allow_random: bool = False,
    value_range: Sequence[float] = (-1.0, 1.0),
) -> PerceptualLoss:
    """Content loss; default VGG-19 ``relu4_2`` (the tenth ReLU, Krishna & Mueller's layer)."""
    feats = _extractor(extractor, layers, weights_path, allow_random, value_range)
    return PerceptualLoss(feats, criterion, layer_weights)


def style(
    extractor: Extractor | None = None,
    layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    layer_weights: Sequence[float] | None = None,
    weights_path: str | None = None,
    allow_random: bool = False,
    value_range: Sequence[float] = (-1.0, 1.0),
) -> StyleLoss:
    """Gram style loss; default layers: the first ReLU of each VGG-19 block (Gatys et al.)."""
    feats = _extractor(extractor, layers, weights_path, allow_random, value_range)
    return StyleLoss(feats, layer_weights)
