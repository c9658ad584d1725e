"""Do a sample's segmentation channels agree with its image? Beers et al.'s own figure.

The paper segments each generated fundus photograph with a U-net trained on real photographs
and compares that with the vessel map the GAN generated beside it (ROC AUC 0.97). Here the
segmenter is a pixel classifier fitted on real images (the training part) to predict each
segmentation channel from the image channels: their intensities and a few Gaussian
derivatives. Applied to a generated image, it should find what the generated map says, as
it finds the real maps in held-out real images (the ceiling, reported beside it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zoo_core.plugin_api import DataError, import_optional

#: Gaussian scales (pixels) of the smoothed intensities the classifier sees.
SCALES = (1.0, 2.0, 4.0)
#: Pixels the classifier of one channel is fitted on (drawn at random from the foreground).
MAX_FIT_PIXELS = 200_000
#: Image values above this count as foreground (the background of a masked scan is -1).
FOREGROUND = -0.99


def pixel_features(images: np.ndarray) -> np.ndarray:
    """(N, H, W, F) per-pixel features of image channels (N, C, H, W) in [-1, 1]: each
    channel's value, its Gaussian smoothings, gradient magnitude and Laplacian."""
    from scipy import ndimage

    features = []
    for channel in np.moveaxis(np.asarray(images, dtype=np.float32), 1, 0):
        features.append(channel)
        features += [ndimage.gaussian_filter(channel, (0, s, s)) for s in SCALES]
        features.append(ndimage.gaussian_gradient_magnitude(channel, (0, 1.0, 1.0)))
        features.append(ndimage.gaussian_laplace(channel, (0, 1.0, 1.0)))
    return np.stack(features, axis=-1)


def foreground(images: np.ndarray) -> np.ndarray:
    """(N, H, W) pixels where any image channel is above the background."""
    return np.asarray(images).max(axis=1) > FOREGROUND


class TissueClassifiers:
    """One pixel classifier per segmentation channel, fitted on real images.

    ``n_image`` is the number of image channels at the front of each item; the rest are the
    segmentation channels (probability or binary maps in [-1, 1]; > 0 is the tissue).
    """

    def __init__(self, n_image: int, seed: int = 0) -> None:
        self.n_image = n_image
        self.seed = seed
        self.models: list[Any] = []

    def fit(self, real: np.ndarray) -> TissueClassifiers:
        ensemble = import_optional(
            "sklearn.ensemble", extra="zoo-pggan[data]", needed_for="the tissue classifier"
        )
        x, labels = self._pixels(real)
        rng = np.random.default_rng(self.seed)
        pick = rng.permutation(len(x))[:MAX_FIT_PIXELS]
        self.models = []
        for channel, y in enumerate(labels):
            if y[pick].all() or not y[pick].any():
                raise DataError(
                    f"segmentation channel {channel} is all one class in the real images: "
                    "nothing to fit a classifier on."
                )
            model = ensemble.HistGradientBoostingClassifier(max_iter=100, random_state=self.seed)
            self.models.append(model.fit(x[pick], y[pick]))
        return self

    def auc(self, images: np.ndarray) -> list[float]:
        """ROC AUC per segmentation channel of the classifier's scores against the maps of
        ``images`` (real or generated), over their foreground pixels."""
        metrics = import_optional(
            "sklearn.metrics", extra="zoo-pggan[data]", needed_for="the agreement figure"
        )
        x, labels = self._pixels(images)
        out = []
        for model, y in zip(self.models, labels, strict=True):
            if y.all() or not y.any():
                out.append(float("nan"))  # AUC needs both classes
                continue
            out.append(float(metrics.roc_auc_score(y, model.predict_proba(x)[:, 1])))
        return out

    def _pixels(self, items: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        items = np.asarray(items, dtype=np.float32)
        image = items[:, : self.n_image]
        inside = foreground(image)
        x = pixel_features(image)[inside]
        labels = [items[:, c][inside] > 0 for c in range(self.n_image, items.shape[1])]
        return x, labels
