"""The physical units of a model's outputs: the model's declaration, checked.

``zoo generate`` writes NIfTI and DICOM in physical units. For same-domain models (denoising,
super-resolution) the output is in the condition's units, so undoing the condition's fitted
normalisation is right. A translation model's output is another modality: MR -> CT must be
written in Hounsfield units, which only the model knows how to produce. Models say so with
:meth:`zoo_core.GANModel.output_intensity`; this module checks the answer once, so a bad
declaration fails before anything is generated rather than in the middle of writing files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from zoo_core.errors import ConfigError, DataError

if TYPE_CHECKING:
    from zoo_core.data.intensity import IntensityTransform
    from zoo_core.interfaces.model import GANModel

#: DICOM modality of outputs whose declared scaling is one of these kinds.
MODALITY_OF_KIND = {"ct": "CT"}


def output_intensity(model: GANModel) -> IntensityTransform | None:
    """The fixed transform that maps the model's outputs to physical units, or None when
    outputs are in the condition's units (the model declares nothing).

    Raises :class:`ConfigError` when the declaration is not an intensity transform or needs
    fitting to an image (min-max, MR percentiles, histogram equalisation): an output has no
    physical image to be fitted to, so its scaling must be fixed (a HU window, or identity).
    """
    from zoo_core.data.intensity import IntensityTransform

    declare = getattr(model, "output_intensity", None)
    declared: Any = declare() if callable(declare) else None
    if declared is None:
        return None
    name = getattr(model, "model_id", None) or type(model).__name__
    if not isinstance(declared, IntensityTransform):
        raise ConfigError(
            f"{name}.output_intensity() returned a {type(declared).__name__}; return a "
            "zoo_core.data.intensity transform (e.g. CTWindow(-1000, 1000)) or None."
        )
    try:
        declared.inverse(np.zeros(1, dtype=np.float32))
    except DataError:
        raise ConfigError(
            f"{name}.output_intensity() returned an unfitted {declared.kind!r} transform: "
            "outputs cannot be fitted to an image, so declare a fixed scaling (a HU window "
            "for CT, IntensityTransform() to write the model's values as they are)."
        ) from None
    return declared


def output_modality(transform: IntensityTransform | None, card_modality: str | None) -> Any:
    """The DICOM modality of the outputs: CT for HU outputs, else the card's modality."""
    if transform is not None and transform.kind in MODALITY_OF_KIND:
        return MODALITY_OF_KIND[transform.kind]
    return card_modality
