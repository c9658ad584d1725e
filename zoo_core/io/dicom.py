"""DICOM output with pydicom: a valid series that no one can mistake for an acquisition.

One file per slice (a 2D sample is one file), all with fresh Study/Series/SOP Instance and
Frame of Reference UIDs from :func:`pydicom.uid.generate_uid`. The synthetic marker is in
places that survive a re-read and most anonymisers' "keep" lists:

* ImageType ``DERIVED\\SECONDARY``; SeriesDescription and StudyDescription start with
  ``SYNTHETIC``; ImageComments and DerivationDescription say what made the image;
* BurnedInAnnotation ``NO`` (true: no text is drawn into the pixels);
* a private block ``ZOO-CORE SYNTHETIC`` in group 0x0011: (0011,xx01) ``TRUE`` and
  (0011,xx02) the provenance JSON.

Geometry comes from the 4x4 RAS affine of the ``(C, X, Y, Z)`` array (voxel ``(i, j, k)``):
column index = i, row index = j, slice = k, converted to DICOM's LPS patient frame, so
MONAI's PydicomReader (and :func:`zoo_core.data.read_image`) reads back the same array and
affine. Values are stored as 16-bit integers with RescaleSlope/Intercept chosen so that the
re-read physical values (HU for CT) are within half a unit of the written ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.errors import DataError
from zoo_core.io.common import (
    SYNTHETIC_NOTE,
    channel_names_for,
    physical,
    provenance_json,
    safe_suffix,
    software,
    to_numpy,
)
from zoo_core.io.nifti import check_affine
from zoo_core.weights import atomic_path

PRIVATE_GROUP = 0x0011
PRIVATE_CREATOR = "ZOO-CORE SYNTHETIC"
_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])


def _ds(value: float):
    from pydicom.valuerep import DSfloat

    return DSfloat(float(value), auto_format=True)


def rescale_for(values: np.ndarray) -> tuple[float, float, np.dtype]:
    """(slope, intercept, stored dtype) for 16-bit storage of ``values``.

    Physical data with a wide range (HU) keeps slope 1 so viewers show integer HU; narrow
    ranges (model-range values, MR in arbitrary units) spread over 65535 levels.
    """
    low, high = float(values.min()), float(values.max())
    span = high - low
    if span >= 255 and low >= -32768 and high <= 32767:
        return 1.0, 0.0, np.dtype(np.int16)
    if 255 <= span <= 65535:
        return 1.0, float(_ds(np.floor(low))), np.dtype(np.uint16)
    slope = float(_ds(span / 65535.0)) if span > 0 else 1.0
    while span > 0 and (high - float(_ds(low))) / slope > 65535:  # DS rounding of the slope
        slope = float(_ds(slope * (1 + 1e-6)))
    return slope, float(_ds(low)), np.dtype(np.uint16)


def _sop_class(modality: str) -> tuple[str, str]:
    from pydicom.uid import CTImageStorage, MRImageStorage, SecondaryCaptureImageStorage

    modality = (modality or "").upper()
    if modality == "CT":
        return "CT", CTImageStorage
    if modality in ("MR", "MRI"):
        return "MR", MRImageStorage
    return "OT", SecondaryCaptureImageStorage


def _series_datasets(
    volume: np.ndarray,
    affine: np.ndarray,
    *,
    modality: str,
    uids: dict[str, str],
    series_number: int,
    description: str,
    patient_id: str,
    provenance: dict[str, Any] | None,
):
    """One pydicom Dataset per slice of a physical-valued ``(X, Y, Z)`` volume."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, generate_uid

    modality, sop_class = _sop_class(modality)
    slope, intercept, stored = rescale_for(volume)
    lps = _LPS @ affine
    col_step, row_step, slice_step = lps[:3, 0], lps[:3, 1], lps[:3, 2]
    spacing_i, spacing_j = np.linalg.norm(col_step), np.linalg.norm(row_step)
    thickness = float(np.linalg.norm(slice_step))
    orientation = [*(col_step / spacing_i), *(row_step / spacing_j)]
    normal = np.cross(col_step / spacing_i, row_step / spacing_j)
    now = dt.datetime.now()
    date, time = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    low, high = float(volume.min()), float(volume.max())
    note = SYNTHETIC_NOTE
    json_text = provenance_json(provenance)

    for k in range(volume.shape[2]):
        sop_uid = generate_uid()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
        ds.StudyInstanceUID = uids["study"]
        ds.SeriesInstanceUID = uids["series"]
        ds.FrameOfReferenceUID = uids["frame"]
        ds.Modality = modality
        ds.ImageType = ["DERIVED", "SECONDARY"]
        ds.PatientName = "SYNTHETIC^ZOO"
        ds.PatientID = patient_id
        ds.PatientBirthDate = ""
        ds.PatientSex = ""
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = date
        ds.StudyTime = ds.SeriesTime = ds.ContentTime = time
        ds.StudyID = "SYNTHETIC"
        ds.AccessionNumber = ""
        ds.ReferringPhysicianName = ""
        ds.StudyDescription = "SYNTHETIC"
        ds.SeriesDescription = description[:64]
        ds.SeriesNumber = series_number
        ds.InstanceNumber = k + 1
        ds.AcquisitionNumber = ""
        ds.Manufacturer = "zoo-core"
        ds.ManufacturerModelName = str((provenance or {}).get("model_id") or "")[:64]
        ds.SoftwareVersions = software()
        ds.ImageComments = note
        ds.DerivationDescription = note
        ds.BurnedInAnnotation = "NO"
        ds.PositionReferenceIndicator = ""
        if modality == "CT":
            ds.KVP = ""
            ds.RescaleType = "HU"
        elif modality == "MR":
            ds.ScanningSequence = "RM"  # research mode: no acquisition sequence applies
            ds.SequenceVariant = "NONE"
            ds.ScanOptions = ""
            ds.MRAcquisitionType = "3D" if volume.shape[2] > 1 else "2D"
            ds.EchoTime = ds.RepetitionTime = ds.EchoTrainLength = ""
        # Image plane: (0, 0) of slice k sits at affine @ (0, 0, k).
        position = lps @ np.array([0.0, 0.0, float(k), 1.0])
        ds.ImagePositionPatient = [_ds(v) for v in position[:3]]
        ds.ImageOrientationPatient = [_ds(v) for v in orientation]
        ds.PixelSpacing = [_ds(spacing_j), _ds(spacing_i)]  # row spacing, column spacing
        ds.SliceThickness = _ds(thickness)
        ds.SpacingBetweenSlices = _ds(thickness)
        ds.SliceLocation = _ds(float(np.dot(normal, position[:3])))
        ds.RescaleSlope, ds.RescaleIntercept = _ds(slope), _ds(intercept)
        ds.WindowCenter = _ds((low + high) / 2)
        ds.WindowWidth = _ds(max(high - low, 1.0))
        pixels = np.rint((volume[:, :, k].T - intercept) / slope).astype(stored)
        ds.set_pixel_data(pixels, photometric_interpretation="MONOCHROME2", bits_stored=16)
        block = ds.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True)
        block.add_new(0x01, "CS", "TRUE")
        block.add_new(0x02, "UT", json_text)
        yield ds


def is_synthetic(ds) -> bool:
    """Whether a (re-read) dataset carries the zoo's private synthetic flag."""
    try:
        block = ds.private_block(PRIVATE_GROUP, PRIVATE_CREATOR)
        return str(block[0x01].value).strip() == "TRUE"
    except KeyError:
        return False


def write_dicom(
    array: Any,
    stem: Path,
    *,
    affine: Any = None,
    channel_names: Sequence[str] | None = None,
    intensity_inverse: Callable[[Any], Any] | None = None,
    modality: str | None = None,
    provenance: dict[str, Any] | None = None,
) -> list[Path]:
    """``(C, X, Y)`` -> ``stem.dcm``; ``(C, X, Y, Z)`` -> series folder ``stem/`` of
    ``IM_0001.dcm``...; several channels get ``_<channel>`` suffixes and a series each."""
    from pydicom.uid import generate_uid

    data = to_numpy(array)
    if data.ndim not in (3, 4):
        raise DataError(
            f"DICOM output needs (C, X, Y) or (C, X, Y, Z), got shape {tuple(data.shape)}."
        )
    values = physical(data, intensity_inverse)
    if not np.isfinite(values).all():
        raise DataError(f"{stem.name}: the sample holds NaN or infinite values; not written.")
    affine = check_affine(affine)
    names = channel_names_for(data.shape[0], channel_names)
    modality = modality or (provenance or {}).get("modality") or "OT"
    model = (provenance or {}).get("model_id") or "zoo-core"
    study, frame = generate_uid(), generate_uid()
    written: list[Path] = []
    for c, name in enumerate(names):
        suffix = "" if len(names) == 1 else f"_{safe_suffix(name)}"
        volume = values[c] if data.ndim == 4 else values[c][:, :, None]
        uids = {"study": study, "series": generate_uid(), "frame": frame}
        description = f"SYNTHETIC {model}" + (f" {name}" if len(names) > 1 else "")
        slices = _series_datasets(
            volume,
            affine,
            modality=modality,
            uids=uids,
            series_number=c + 1,
            description=description,
            patient_id=f"SYNTHETIC-{stem.name}"[:64],
            provenance=provenance,
        )
        for k, ds in enumerate(slices):
            if data.ndim == 3:
                path = stem.with_name(stem.name + suffix + ".dcm")
            else:
                path = stem.with_name(stem.name + suffix) / f"IM_{k + 1:04d}.dcm"
            with atomic_path(path) as tmp:
                ds.save_as(tmp, enforce_file_format=True)
            written.append(path)
    return written
