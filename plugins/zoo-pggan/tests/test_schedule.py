"""The progressive schedule, hand-computed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from zoo_pggan.schedule import ProgressiveSchedule

from zoo_core.api import model_config


def _schedule(**train):
    cfg = SimpleNamespace(
        fade_in_steps=3, stabilise_steps=2, batch_size=16, batch_size_at=[[16, 8]], **train
    )
    return ProgressiveSchedule.from_config([4, 8, 16], 0, cfg)


def test_phases_hand_computed():
    s = _schedule()
    got = [(p.level, round(p.alpha, 4), p.batch_size) for p in map(s.phase, range(17))]
    assert got == [
        (0, 1.0, 16), (0, 1.0, 16), (0, 1.0, 16), (0, 1.0, 16), (0, 1.0, 16),  # 4x4: 5 steps
        (1, 0.0, 16), (1, 0.3333, 16), (1, 0.6667, 16), (1, 1.0, 16), (1, 1.0, 16),
        (2, 0.0, 8), (2, 0.3333, 8), (2, 0.6667, 8), (2, 1.0, 8), (2, 1.0, 8),
        (2, 1.0, 8), (2, 1.0, 8),  # after the schedule: fully grown
    ]  # fmt: skip
    assert s.total_steps == 15


def test_paper_schedule_of_the_rop_config():
    cfg = model_config("beers-pggan-rop")
    s = ProgressiveSchedule.from_config([4 * 2**k for k in range(8)], 0, cfg.train)
    assert s.total_steps == cfg.train.steps == 320_000
    p = s.phase(7 * 40_000 + 10_000)  # halfway through fading in 512x512
    assert (p.resolution, p.alpha, p.batch_size) == (512, 0.5, 8)
    assert s.phase(6 * 40_000 + 39_999).batch_size == 16  # 256x256, last step
    brats = model_config("beers-pggan-brats")
    assert brats.train.steps == 7 * 40_000
    assert (
        ProgressiveSchedule.from_config([4 * 2**k for k in range(7)], 0, brats.train)
        .phase(279_999)
        .resolution
        == 256
    )


def test_bad_schedule_is_refused():
    with pytest.raises(ValueError, match="fade_in_steps"):
        _schedule_bad = SimpleNamespace(
            fade_in_steps=0, stabilise_steps=2, batch_size=16, batch_size_at=[]
        )
        ProgressiveSchedule.from_config([4, 8], 0, _schedule_bad)
