"""Writing generated samples (PNG, NIfTI, DICOM), montages and provenance.

Every file written here says it is synthetic in the format's own place for it, and carries
the provenance record (model, weights sha256, seed, conditions, library versions).
"""

from zoo_core.io.common import SYNTHETIC_NOTE, output_spec
from zoo_core.io.dicom import is_synthetic, write_dicom
from zoo_core.io.montage import save_montage
from zoo_core.io.nifti import write_nifti
from zoo_core.io.png import png_info, write_png
from zoo_core.io.provenance import (
    PROVENANCE_FILE,
    library_versions,
    provenance_record,
    write_provenance,
)
from zoo_core.io.samples import FORMATS, write_sample

__all__ = [
    "FORMATS",
    "PROVENANCE_FILE",
    "SYNTHETIC_NOTE",
    "is_synthetic",
    "library_versions",
    "output_spec",
    "png_info",
    "provenance_record",
    "save_montage",
    "write_dicom",
    "write_nifti",
    "write_png",
    "write_provenance",
    "write_sample",
]
