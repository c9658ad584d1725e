"""Class-conditional models on a held-out split: do the samples show the class asked for?

What a class-conditional GAN (cGAN, ACGAN) adds to an unconditional one is that the label
steers the image, so that is the figure to measure: a classifier fitted on the real labelled
training images sorts the samples, and the share it puts in the class they were drawn for is
the model's class fidelity. The classifier's own accuracy on real images it was not fitted on
(interleaved blocks of neighbouring slices, each held out in turn) stands beside it as the
ceiling: a sample set cannot be judged more reliably than real images are.

The distribution figures are :func:`zoo_core.metrics.held_out.held_out_report`'s, with one
sample drawn for each training image's label, so the classes come in the training
proportions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from zoo_core.errors import ZooError


@dataclass
class LabelledSet:
    """Images (N, C, H, W) in [0, 1] in the dataset's order, and their class indices (N,)."""

    images: torch.Tensor
    labels: torch.Tensor


def labelled_images(dataset: Any, value_range: tuple[float, float]) -> LabelledSet:
    """Every item of a labelled dataset (``"target"`` image, ``"label"`` index), the images
    mapped from ``value_range`` to [0, 1]."""
    from zoo_core.metrics.sets import to_unit

    items = [dataset[i] for i in range(len(dataset))]
    images = torch.stack([torch.as_tensor(item["target"]).float() for item in items])
    labels = torch.stack([torch.as_tensor(item["label"]).long() for item in items])
    return LabelledSet(to_unit(images, value_range), labels)


def labelled_set(model: Any, path: str | Path) -> LabelledSet:
    """The real images and labels at ``path``, read by the model's architecture's dataset
    exactly as it trains (labels from its ``"label"`` items)."""
    from zoo_core.registry import get_registry
    from zoo_core.training.run import training_dataset

    arch = get_registry().architecture(model.card.zoo["architecture"])
    dataset = training_dataset(arch, model.config.data, Path(path))
    if len(dataset) == 0 or "label" not in dataset[0]:
        raise ZooError(
            f"{path}: the {arch.name} dataset gives no labelled items here; the class-fidelity "
            "protocol needs a dataset whose items carry a 'label'."
        )
    return labelled_images(dataset, tuple(model.value_range))


class PixelClassifier:
    """Multinomial logistic regression on the images average-pooled to ``side`` x ``side``.

    Deliberately plain: a class that a linear read of the coarse picture cannot tell apart
    is not one a sample should be judged on, and a linear model fitted on a few dozen images
    does not find the texture shortcuts a deep network would.
    """

    def __init__(self, num_classes: int, side: int = 16, weight_decay: float = 1e-2) -> None:
        self.num_classes, self.side, self.weight_decay = num_classes, side, weight_decay

    def _pooled(self, images: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(images.float().cpu(), self.side).flatten(1)

    def fit(self, images: torch.Tensor, labels: torch.Tensor) -> PixelClassifier:
        x = self._pooled(images)
        self.mean, self.std = x.mean(0), x.std(0).clamp_min(1e-6)
        x, y = (x - self.mean) / self.std, labels.long().cpu()
        self.weight = torch.zeros(x.shape[1], self.num_classes, requires_grad=True)
        self.bias = torch.zeros(self.num_classes, requires_grad=True)
        optimiser = torch.optim.LBFGS(
            [self.weight, self.bias], max_iter=100, line_search_fn="strong_wolfe"
        )

        def loss() -> torch.Tensor:
            optimiser.zero_grad()
            value = F.cross_entropy(x @ self.weight + self.bias, y)
            value = value + self.weight_decay * self.weight.pow(2).sum()
            value.backward()
            return value

        with torch.enable_grad():
            optimiser.step(loss)
        return self

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        x = (self._pooled(images) - self.mean) / self.std
        return (x @ self.weight + self.bias).argmax(1)


def unseen_real_accuracy(
    real: LabelledSet, num_classes: int, block: int = 4, folds: int = 4
) -> float:
    """The classifier's accuracy on real images it was not fitted on: the images are cut
    into blocks of ``block`` neighbours (slices of a volume come in order), block ``b`` goes
    to fold ``b % folds``, and each fold is predicted by a classifier fitted on the others."""
    fold = torch.arange(len(real.labels)) // block % folds
    correct = 0
    for k in range(folds):
        held = fold == k
        if held.any() and (~held).any():
            classifier = PixelClassifier(num_classes).fit(real.images[~held], real.labels[~held])
            correct += int((classifier.predict(real.images[held]) == real.labels[held]).sum())
    return correct / len(real.labels)


def class_fidelity(
    fake: torch.Tensor, asked: torch.Tensor, real: LabelledSet, num_classes: int
) -> dict[str, Any]:
    """Share of ``fake`` that a classifier fitted on ``real`` puts in the ``asked`` class,
    overall and per class, beside the classifier's accuracy on unseen real images."""
    predicted = PixelClassifier(num_classes).fit(real.images, real.labels).predict(fake)
    hit = predicted == asked.cpu()
    return {
        "accuracy": float(hit.float().mean()),
        "per_class": {
            str(k): float(hit[asked.cpu() == k].float().mean())
            for k in range(num_classes)
            if bool((asked == k).any())
        },
        "classifier_accuracy_unseen_real": unseen_real_accuracy(real, num_classes),
        "classifier": "logistic regression on 16x16 average-pooled pixels, fitted on the "
        "real training images",
        "n_generated": len(asked),
    }


def code_agreement(
    fake: torch.Tensor, codes: torch.Tensor, real: LabelledSet, num_classes: int
) -> dict[str, Any]:
    """How well an unsupervised categorical code names the real classes (InfoGAN's figure).

    A classifier fitted on ``real`` sorts ``fake``; code ``c`` is then assigned the class
    that maximises the total agreement under a one-to-one assignment (Hungarian), since
    nothing tells the model which code value should mean which class. ``accuracy`` is the
    share of samples whose class is their code's assigned class.
    """
    from scipy.optimize import linear_sum_assignment

    predicted = PixelClassifier(num_classes).fit(real.images, real.labels).predict(fake)
    num_codes = int(codes.max()) + 1
    counts = torch.zeros(num_codes, num_classes, dtype=torch.long)
    counts.index_put_((codes.cpu().long(), predicted), torch.ones_like(predicted), accumulate=True)
    rows, cols = linear_sum_assignment(counts.numpy(), maximize=True)
    matched = int(counts[torch.as_tensor(rows), torch.as_tensor(cols)].sum())
    return {
        "accuracy": matched / len(codes),
        "assignment": {str(int(r)): int(c) for r, c in zip(rows, cols, strict=True)},
        "counts": counts.tolist(),
        "classifier_accuracy_unseen_real": unseen_real_accuracy(real, num_classes),
        "classifier": "logistic regression on 16x16 average-pooled pixels, fitted on the "
        "real training images",
        "n_generated": len(codes),
    }


def class_report(
    model: Any,
    split: str | Path,
    *,
    seed: int = 0,
    device: str = "cpu",
    extractor: str | torch.nn.Module = "inception-fid",
) -> dict[str, Any]:
    """A class-conditional 2D model on a split folder: the held-out distribution figures
    and memorisation check, with samples drawn for the training labels, and class fidelity."""
    from zoo_core.metrics.held_out import HeldOutSets, held_out_report, split_parts
    from zoo_core.metrics.sets import to_unit, training_set

    parts = split_parts(split)
    train = labelled_set(model, parts["train"])
    test = training_set(model, parts["test"], limit=None).images
    drawn = model.generate(condition=train.labels, seed=seed).float().cpu()
    fake = to_unit(drawn, tuple(model.value_range))
    report = held_out_report(
        model, split, seed=seed, device=device, extractor=extractor,
        sets=HeldOutSets(fake, train.images, test),
    )  # fmt: skip
    report["class_fidelity"] = class_fidelity(fake, train.labels, train, model.num_classes)
    return report


def markdown(report: dict[str, Any], class_names: dict[str, str] | None = None) -> str:
    """The held-out table, then the class-fidelity figures."""
    from zoo_core.metrics.held_out import markdown as distribution_markdown

    c, names = report["class_fidelity"], class_names or {}
    lines = [
        distribution_markdown(report),
        "",
        "| class asked for | samples put in it by the classifier |",
        "|---|---:|",
        *(f"| {names.get(k, k)} | {v:.1%} |" for k, v in c["per_class"].items()),
        f"| **all** | **{c['accuracy']:.1%}** |",
        "",
        f"Classifier: {c['classifier']}; on real training images it was not fitted on "
        f"(interleaved blocks of 4 slices): {c['classifier_accuracy_unseen_real']:.1%}.",
    ]
    return "\n".join(lines)


def class_split_report(
    model: Any, real: str | Path, *, seed: int = 0, device: str = "cpu"
) -> dict[str, Any]:
    """``zoo evaluate ID --real SPLIT`` for a class-conditional 2D model without a protocol
    of its own: :func:`class_report` as Markdown and JSON."""
    report = class_report(model, real, seed=seed, device=device)
    names = _class_names(model)
    return {"markdown": markdown(report, names), "metrics": report}


def _class_names(model: Any) -> dict[str, str]:
    """The card's ``label_maps`` of its class input, if it declares one."""
    for entry in (model.card.zoo.get("inputs") or []) if model.card is not None else []:
        if entry.get("label_maps"):
            return {str(k): str(v) for k, v in entry["label_maps"].items()}
    return {}
