"""The zoo's exceptions.

Every error a user can cause derives from :class:`ZooError`, carries a message that says what
is wrong and what to do, and is printed by the CLI without a traceback.
"""

from __future__ import annotations


class ZooError(Exception):
    """Base class of every error the zoo raises on purpose."""


class UnknownModelError(ZooError, KeyError):
    """An id that no installed plugin registers."""

    def __init__(self, model_id: str, suggestions: list[str]):
        hint = (
            f" Did you mean: {', '.join(suggestions)}?"
            if suggestions
            else " Run `zoo list` to see the registered ids."
        )
        super().__init__(f"Unknown model id {model_id!r}.{hint}")
        self.model_id = model_id
        self.suggestions = suggestions

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownArchitectureError(ZooError, KeyError):
    """An architecture name that no installed plugin registers."""

    def __str__(self) -> str:
        return str(self.args[0])


class DuplicateIdError(ZooError):
    """Two plugins (or one plugin twice) registered the same id."""


class ConfigError(ZooError):
    """A config file or override that does not fit the architecture's schema."""


class CardError(ZooError):
    """A model card that does not follow the card schema."""


class NoWeightsError(ZooError):
    """The model's card says no weights are published yet."""


class WeightsIntegrityError(ZooError):
    """A downloaded file whose sha256 differs from the one the card declares."""


class CorruptWeightsError(WeightsIntegrityError):
    """A weights file that cannot be read: empty, truncated or not safetensors at all."""


class ShippedWeightsError(ZooError):
    """A weights folder shipped in a plugin package that is missing or incomplete."""


class UnsafeWeightsError(ZooError):
    """A pickle-based weights file that the caller did not opt in to."""


class HubError(ZooError):
    """A download or upload that failed; the cache and the hub are left as they were."""


class DataError(ZooError):
    """An input file or folder that cannot be used; the message names the file."""


class TrainingError(ZooError):
    """Training stopped (e.g. a NaN loss); the last good checkpoint is kept."""


class PluginError(ZooError):
    """A plugin's own code failed: the message names the plugin, so the report goes to it."""


class MissingExtraError(ZooError, ImportError):
    """An optional dependency (a pip extra such as ``zoo-core[plots]``) that is not installed."""
