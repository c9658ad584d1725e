"""Two CPU processes under torchrun (gloo) end with identical weights on both ranks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from zoo_core import checkpoint
from zoo_core.weights import load_state_dict

TESTS = Path(__file__).resolve().parent

WORKER = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, {tests!r})
    import torch
    from helpers.tiny_gan import ConstantImages, build, config
    from zoo_core.training import GANTrainer
    from zoo_core.weights import save_state_dict

    torch.set_num_threads(1)
    out = sys.argv[1]


    class Recording(GANTrainer):
        seen = []

        def discriminator_loss(self, batch):
            self.seen.append(batch["index"].tolist())
            return super().discriminator_loss(batch)


    class Direct(GANTrainer):
        # Calls the networks' layers itself, bypassing the DDP wrappers (as multi-network
        # trainers do with model.discriminator.b(x)): gradients must still be averaged.

        def _critic(self, images):
            x = images
            for i in range(5):
                x = getattr(self.model.discriminator, str(i))(x)
            return x

        def discriminator_loss(self, batch):
            with torch.no_grad():
                fake = self.model.fake_batch(batch, generator=self.noise)
            real = self._critic(batch["target"])
            return self.adversarial.d_loss(real, self._critic(fake)), {{}}

        def generator_loss(self, batch):
            fake = self.model.fake_batch(batch, generator=self.noise)
            return self.adversarial.g_loss(self._critic(fake)), {{}}


    cfg = config(
        "train.steps=4", "train.batch_size=8", "train.adversarial=wgan-gp", "train.n_critic=2",
        "train.ema_decay=0.9", "train.checkpoint_every=2", "model.batchnorm=true",
    )
    rank = int(os.environ["RANK"])
    torch.manual_seed(100 + rank)  # different initial weights: DDP must start from rank 0's
    model = build(cfg.model)
    initial = {{k: v.clone() for k, v in model.state_dict().items()}}
    trainer = Recording(model, cfg, ConstantImages(), out, "test-tinygan-ddp", progress=False)
    trainer.fit()
    state = {{f"model.{{k}}": v for k, v in model.state_dict().items()}}
    state.update({{f"ema.{{k}}": v for k, v in trainer.ema.module.state_dict().items()}})
    state.update({{f"initial.{{k}}": v for k, v in initial.items()}})
    save_state_dict(state, f"{{out}}/rank{{rank}}.safetensors")
    with open(f"{{out}}/rank{{rank}}.json", "w") as handle:
        json.dump({{"seen": trainer.seen, "local_batch": trainer.local_batch_size}}, handle)

    direct_cfg = config("train.steps=3", "model.batchnorm=true")
    torch.manual_seed(200 + rank)
    direct = Direct(build(direct_cfg.model), direct_cfg, ConstantImages(), out + "/direct",
                    "test-tinygan-ddp", progress=False)
    direct.fit()
    weights = {{k: v for k, v in direct.model.state_dict().items()}}
    save_state_dict(weights, f"{{out}}/direct{{rank}}.safetensors")
    trainer.dist.close()
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_cpu_processes_end_with_identical_weights(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(tests=str(TESTS)))
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
        "--master_addr", "127.0.0.1", "--master_port", str(free_port()), str(script), str(out),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(TESTS)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    ranks = [load_state_dict(out / f"rank{r}.safetensors") for r in (0, 1)]
    trained = [k for k in ranks[0] if not k.startswith("initial.")]
    assert not torch.equal(
        ranks[0]["initial.generator.0.weight"], ranks[1]["initial.generator.0.weight"]
    )
    different = [k for k in trained if not torch.equal(ranks[0][k], ranks[1][k])]
    assert not different, f"ranks differ in {different}"
    direct = [load_state_dict(out / f"direct{r}.safetensors") for r in (0, 1)]
    different = [k for k in direct[0] if not torch.equal(direct[0][k], direct[1][k])]
    assert not different, f"ranks differ when the trainer bypasses DDP's forward: {different}"
    # BatchNorm statistics (buffers) too, and training moved the weights
    assert "model.discriminator.2.running_mean" in trained
    assert not torch.equal(
        ranks[0]["model.generator.0.weight"], ranks[0]["initial.generator.0.weight"]
    )

    # each rank took its own half of the global batch (DistributedSampler), no overlap
    logs = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert logs[0]["local_batch"] == logs[1]["local_batch"] == 4
    first_epoch = [{i for batch in log["seen"][:4] for i in batch} for log in logs]
    assert not first_epoch[0] & first_epoch[1]
    assert len(first_epoch[0] | first_epoch[1]) == 32

    # only rank 0 wrote checkpoints and losses; the final checkpoint holds rank 0's weights
    names = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert names == ["step-00000002.safetensors", "step-00000004.safetensors"]
    groups, info = checkpoint.read(out / "checkpoints" / names[-1])
    assert info["state"]["world_size"] == 2
    assert {k.split(".")[0] for k in groups["rng"]} == {"0", "1"}  # each rank's RNG streams
    for key, value in groups["model"].items():
        assert torch.equal(value, ranks[0][f"model.{key}"]), key
    assert (out / "losses.csv").is_file() and (out / "losses.png").is_file()
