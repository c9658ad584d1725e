"""DCGAN: conformance, the paper's layer sizes, and the shared conv stacks it is built from."""

import torch
from zoo_dcgan import TINY

from zoo_core.testing import check_plugin, tiny_model

ID = "radford-dcgan-mni152"


def test_plugin_passes_the_conformance_kit():
    assert check_plugin("dcgan") == [ID]


def test_paper_sizes_1024_to_128_filters_and_64x64_output():
    # The id is demo scale (64 filters); the paper's 128 is one override away.
    model = tiny_model(ID, "model.g_filters=128", "model.d_filters=128", tiny=False)
    cfg = model.config
    convs = [m for m in model.generator.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (100, 1024), (1024, 512), (512, 256), (256, 128), (128, 1)
    ]  # fmt: skip
    dconvs = [m for m in model.discriminator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in dconvs] == [128, 256, 512, 1024, 1]
    # no batch norm on the discriminator's first layer (Radford et al.)
    first = model.discriminator.trunk.net[0]
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in first.modules())
    images = model.generate(n=2, seed=3)
    assert images.shape == (2, 1, 64, 64)
    assert torch.equal(images, model.generate(n=2, seed=3))
    assert model.discriminator(images).shape == (2, 1)
    assert cfg.train.optimizer_g.lr == 2e-4 and list(cfg.train.optimizer_g.betas) == [0.5, 0.999]


def test_uniform_latent_lies_in_minus_one_one():
    from zoo_dcgan.model import sample_latent

    z = sample_latent(1000, 100, "uniform", torch.device("cpu"), torch.Generator().manual_seed(0))
    assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.99 and z.max() > 0.99


def test_zoo_train_runs_as_two_cpu_processes_under_torchrun(tmp_path):
    import os
    import shutil
    import socket
    import subprocess
    import sys

    from zoo_core import checkpoint
    from zoo_core.data.shipped import write_mni152

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = write_mni152(tmp_path / "mni152")
    out = tmp_path / "run"
    zoo = shutil.which("zoo", path=os.path.dirname(sys.executable))
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
        "--master_addr", "127.0.0.1", "--master_port", str(port), zoo,
        "train", "radford-dcgan-mni152", "--data", str(data), "--out", str(out), "--no-progress",
        *TINY, "train.batch_size=8", "train.steps=3",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _, info = checkpoint.read(out / "checkpoints" / "step-00000003.safetensors")
    assert info["state"]["world_size"] == 2 and info["state"]["batch_size"] == 8
