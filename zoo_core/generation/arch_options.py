"""Architecture-specific options of ``zoo generate`` (``ArchSpec.generate_options``).

The core command knows nothing of any one architecture: an architecture that needs more
than a condition and a seed (a style image, a boundary perturbation) names a function that
returns ``click.Option`` objects. ``zoo generate`` looks the architecture up from the model
reference before parsing (so ``zoo generate ID --help`` lists them and they may come in any
order), or, for models found only by loading (a Hub repo id), parses what is left over once
the model is loaded. The parsed values go to ``GANModel.generate(**options)`` unchanged:
path-valued options are read by the model, which knows what they mean.

Only ``click`` is imported here, and the architecture's function only when ``zoo generate``
runs for one of its models, so ``zoo list`` stays free of torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from zoo_core.errors import ConfigError, ZooError
from zoo_core.registry import ArchSpec, get_registry, resolve_object


class OptionError(ZooError):
    """An option the model's architecture does not accept (printed as one line)."""


def architecture_options(arch: ArchSpec, reserved: Iterable[str] = ()) -> list[click.Option]:
    """The ``click.Option`` list ``arch`` declares (empty when it declares none).

    ``reserved`` are the core command's option strings and parameter names: an architecture
    may not reuse them, or one of the two would silently shadow the other.
    """
    if not arch.generate_options:
        return []
    where = f"{arch.name}'s generate_options ({arch.generate_options}, plugin {arch.plugin!r})"
    options = resolve_object(arch.generate_options)()
    if not isinstance(options, list | tuple) or not all(
        isinstance(o, click.Option) for o in options
    ):
        raise ConfigError(f"{where} must return a list of click.Option objects.")
    taken = set(reserved)
    for option in options:
        clash = sorted(taken & {option.name, *option.opts, *option.secondary_opts})
        if clash:
            raise ConfigError(
                f"{where}: {clash} is already an option of `zoo generate`; rename it."
            )
        taken |= {option.name, *option.opts, *option.secondary_opts}
    return list(options)


def architecture_of(ref: str) -> str | None:
    """The architecture of a model reference without loading it: a registered id, a training
    checkpoint (``.safetensors``) or a model folder (their metadata names the id). None
    when only loading can tell (a Hub repo id) or the reference is unknown."""
    registry = get_registry()
    if ref in registry.models:
        return registry.models[ref].architecture
    path = Path(ref)
    try:
        if path.is_dir() and (path / "model.safetensors").is_file():
            path = path / "model.safetensors"
        if path.suffix == ".safetensors" and path.is_file():
            from zoo_core.weights import read_metadata

            model_id = read_metadata(path).get("model_id")
            if model_id in registry.models:
                return registry.models[model_id].architecture
    except Exception:  # unreadable (not safetensors, truncated): loading will say why
        return None
    return None


def option_names(options: Sequence[click.Option]) -> str:
    return ", ".join(o.opts[0] for o in options) or "none"


def parse_leftovers(
    model_name: str,
    arch_name: str | None,
    options: Sequence[click.Option],
    args: Sequence[str],
) -> dict[str, Any]:
    """Parse ``args`` (what the core command did not recognise) with ``options``.

    Raises :class:`OptionError` naming the model and the options it accepts when something
    is left that no option takes.
    """
    if not args:
        return {}
    command = click.Command("generate", params=list(options), add_help_option=False)
    try:
        ctx = command.make_context("zoo generate", list(args), resilient_parsing=False)
    except click.NoSuchOption as exc:
        raise _unknown(model_name, arch_name, options, exc.option_name) from None
    except click.UsageError as exc:
        raise OptionError(f"{model_name}: {exc.format_message()}") from None
    if ctx.args:
        raise _unknown(model_name, arch_name, options, ctx.args[0])
    return dict(ctx.params)


def _unknown(
    model_name: str, arch_name: str | None, options: Sequence[click.Option], what: str
) -> OptionError:
    kind = "option" if what.startswith("-") else "argument"
    arch = f" (architecture {arch_name})" if arch_name else ""
    return OptionError(
        f"{model_name}{arch} takes no {kind} {what!r}; its own options: "
        f"{option_names(options)} (and the core's: `zoo generate --help`)."
    )
