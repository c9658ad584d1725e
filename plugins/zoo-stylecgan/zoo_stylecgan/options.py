"""``zoo generate`` options of the style cGAN (``ArchSpec.generate_options``; click only).

They reach :meth:`zoo_stylecgan.model.StyleCGAN.sample` and ``vary_condition`` as keyword
arguments of ``model.generate``; the model reads the files they name.
"""

from __future__ import annotations

from pathlib import Path

import click


def generate_options() -> list[click.Option]:
    """--style, --style-map, --content, --perturb and the adaptation's settings."""
    existing = click.Path(exists=True, path_type=Path)
    return [
        click.Option(
            ["--style"],
            type=existing,
            help="Style CT slice x_s: NIfTI/DICOM in HU, or PNG drawn in the model's HU window. "
            "G is adapted to it for --adapt-steps steps before sampling.",
        ),
        click.Option(
            ["--style-map"],
            type=existing,
            help="The style slice's region map (default: derived from its HU values).",
        ),
        click.Option(
            ["--content"],
            type=existing,
            help="The CT the map was drawn from (x_o), the content target while adapting "
            "(default: the unadapted G's own output).",
        ),
        click.Option(
            ["--perturb"], is_flag=True, help="Deform the map's boundaries, differently per sample."
        ),
        click.Option(
            ["--perturb-magnitude"],
            type=click.FloatRange(min=0),
            help="Boundary displacement scale in pixels (default resolution/64).",
        ),
        click.Option(
            ["--adapt-steps"],
            type=click.IntRange(min=0),
            default=20,
            show_default=True,
            help=(
                "Adam steps adapting G to --style (0: no adaptation). Each step runs G, D and "
                "VGG-19 forward and backward: about 10 s at 512² on 2 CPU cores."
            ),
        ),
        click.Option(
            ["--adapt-lr"],
            type=float,
            help="Adaptation learning rate (default train.optimizer_g.lr).",
        ),
        click.Option(
            ["--vgg-weights"],
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="VGG-19 ImageNet weights (safetensors) for the adaptation's style/content loss.",
        ),
        click.Option(
            ["--allow-random-vgg"],
            is_flag=True,
            help="Adapt with a randomly initialised VGG-19 when no weights are found (demo only).",
        ),
    ]
