"""The image history buffer of Shrivastava et al. (2017), used by CycleGAN (size 50).

Showing the discriminator a mix of the newest fakes and older ones keeps it from
over-fitting to the generator's latest output and damps oscillation.
"""

from __future__ import annotations

import torch


class ImagePool:
    """Keeps up to ``size`` past generated images; ``size=0`` passes images through.

    :meth:`query` returns a batch the size of its input: while the pool fills, the new images
    themselves; afterwards each slot is, with probability 1/2, an older image (which the new one
    replaces in the pool) and otherwise the new image. Images are stored detached.
    """

    def __init__(self, size: int = 50) -> None:
        if size < 0:
            raise ValueError(f"pool size must be >= 0, not {size}")
        self.size = size
        self.images: list[torch.Tensor] = []

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.size == 0:
            return images.detach()
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
                continue
            if torch.rand((), generator=generator).item() < 0.5:
                index = int(torch.randint(len(self.images), (), generator=generator))
                out.append(self.images[index].clone())
                self.images[index] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)
