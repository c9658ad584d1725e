"""Train the tiny GAN in this process and SIGKILL it at a chosen moment (tests/test_kill.py).

    python -m helpers.kill_worker OUT STEPS [--kill-at-step N | --kill-in-write N] [--resume]

``--kill-at-step N`` kills the process as step N starts; ``--kill-in-write N`` kills it during
the N-th checkpoint write, after half of the file's bytes reached the disk. Without a kill the
run ends normally and its generator weights are in OUT/final.safetensors.
"""

from __future__ import annotations

import argparse
import os
import signal

import torch

from helpers import tiny_gan
from zoo_core.training import GANTrainer
from zoo_core.weights import save_state_dict

#: Every moment of a run is covered: augmented data, dropout, EMA, two critic updates a step.
SETTINGS = (
    "train.adversarial=wgan-gp",
    "train.n_critic=2",
    "train.ema_decay=0.8",
    "model.dropout=0.2",
    "train.checkpoint_every=2",
)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KilledAtStep(GANTrainer):
    kill_at = -1

    def on_step_start(self) -> None:
        if self.step == self.kill_at:
            die()


def kill_during_write(n: int) -> None:
    """Make the ``n``-th safetensors write stop half-way through its temporary file."""
    import safetensors.torch

    original, calls = safetensors.torch.save_file, [0]

    def save_file(tensors, filename, metadata=None):
        calls[0] += 1
        original(tensors, filename, metadata=metadata)
        if calls[0] == n:
            size = os.path.getsize(filename)
            os.truncate(filename, size // 2)
            die()

    safetensors.torch.save_file = save_file


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("steps", type=int)
    parser.add_argument("--kill-at-step", type=int, default=-1)
    parser.add_argument("--kill-in-write", type=int, default=0)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.kill_in_write:
        kill_during_write(args.kill_in_write)
    cfg = tiny_gan.config(*SETTINGS, f"train.steps={args.steps}")
    torch.manual_seed(0)  # as rerunning the same command does
    model = tiny_gan.build(cfg.model)
    KilledAtStep.kill_at = args.kill_at_step
    data = tiny_gan.ConstantImages(jitter=0.1)
    trainer = KilledAtStep(
        model, cfg, data, args.out, "test-tinygan-constant", resume=args.resume, progress=False
    )
    trainer.fit()
    save_state_dict(trainer.model.state_dict(), os.path.join(args.out, "final.safetensors"))


if __name__ == "__main__":
    main()
