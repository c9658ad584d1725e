"""Reading medical images for training: MONAI readers, intensity handling, label maps,
slices and blocks, and the training dataset (see each module's docstring for the why)."""

from zoo_core.data.blocks import (
    BlockGrid,
    block_grid,
    crop,
    iter_blocks,
    split_blocks,
    stitch_blocks,
    tile_blocks,
)
from zoo_core.data.cache import Prepared, VolumeCache, adapt_channels
from zoo_core.data.datasets import MedicalImageDataset, training_dataset
from zoo_core.data.intensity import (
    CTWindow,
    HistogramEqualize,
    IntensityTransform,
    MinMax,
    MRNormalize,
    from_dict,
    intensity_transform,
)
from zoo_core.data.labels import from_one_hot, gray_to_index, index_to_gray, to_one_hot
from zoo_core.data.readers import image_format, list_images, read_image
from zoo_core.data.regions import fit_to_size, random_patch, slice_indices, take_slice

__all__ = [
    "BlockGrid",
    "CTWindow",
    "HistogramEqualize",
    "IntensityTransform",
    "MRNormalize",
    "MedicalImageDataset",
    "MinMax",
    "Prepared",
    "VolumeCache",
    "adapt_channels",
    "block_grid",
    "crop",
    "fit_to_size",
    "from_dict",
    "from_one_hot",
    "gray_to_index",
    "image_format",
    "index_to_gray",
    "intensity_transform",
    "iter_blocks",
    "list_images",
    "random_patch",
    "read_image",
    "slice_indices",
    "split_blocks",
    "stitch_blocks",
    "take_slice",
    "tile_blocks",
    "to_one_hot",
    "training_dataset",
]
