"""Learning-rate schedules as pure functions of the update number.

A schedule maps update ``k`` (1 for the first update, ``max_updates`` for the last) to
a factor of the peak ``lr``. Being stateless, it resumes exactly from ``num_updates``
alone, and a new training phase gets a new schedule by counting from 0 again.

- ``constant``: linear warm-up from 0, then 1.
- ``linear`` / ``polynomial`` (fairseq's ``polynomial_decay``): warm-up, then
  ``end + (1 - end) * (1 - (k - W) / (N - W)) ** power`` down to ``end_lr_scale`` at N.
- ``tri_stage`` (fairseq's, used for CTC fine-tuning): linear from ``init_lr_scale`` to 1
  over the warm-up phase, hold at 1, then exponential decay to ``final_lr_scale``; the
  phases take ``phase_ratio`` of ``max_updates``. After the decay the factor stays at
  ``final_lr_scale``.
"""

from __future__ import annotations

import math

from asrkit.config import ConfigError
from asrkit.train.config import ScheduleConfig


class LRSchedule:
    """``schedule(k)`` is the lr factor for update ``k`` of ``max_updates``."""

    def __init__(self, cfg: ScheduleConfig, max_updates: int):
        if max_updates < 1:
            raise ConfigError(f"max_updates must be at least 1, got {max_updates}")
        self.cfg = cfg
        self.max_updates = max_updates
        if cfg.name == "tri_stage":
            ratios = cfg.phase_ratio
            if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
                raise ConfigError(
                    f"schedule.phase_ratio must be three non-negative fractions summing to 1, "
                    f"got {list(ratios)}"
                )
            if not 0 < cfg.final_lr_scale <= 1:
                raise ConfigError(f"schedule.final_lr_scale must be in (0, 1], got {cfg.final_lr_scale}")
            self.warmup = int(ratios[0] * max_updates)
            self.hold = int(ratios[1] * max_updates)
            self.decay = int(ratios[2] * max_updates)
        else:
            if cfg.warmup_ratio is not None:
                if not 0 <= cfg.warmup_ratio <= 1:
                    raise ConfigError(f"schedule.warmup_ratio must be in [0, 1], got {cfg.warmup_ratio}")
                self.warmup = int(cfg.warmup_ratio * max_updates)
            else:
                self.warmup = cfg.warmup_updates
            if self.warmup < 0:
                raise ConfigError(f"schedule.warmup_updates must be >= 0, got {self.warmup}")
            if cfg.name in ("linear", "polynomial") and self.warmup >= max_updates:
                raise ConfigError(
                    f"schedule: warm-up ({self.warmup} updates) leaves no room to decay within "
                    f"max_updates={max_updates}; shorten the warm-up or train longer"
                )

    def __call__(self, update: int) -> float:
        cfg = self.cfg
        if cfg.name == "tri_stage":
            return self._tri_stage(update)
        if self.warmup > 0 and update <= self.warmup:
            return update / self.warmup
        if cfg.name == "constant":
            return 1.0
        power = 1.0 if cfg.name == "linear" else cfg.power
        progress = min(1.0, (update - self.warmup) / (self.max_updates - self.warmup))
        return cfg.end_lr_scale + (1.0 - cfg.end_lr_scale) * (1.0 - progress) ** power

    def _tri_stage(self, update: int) -> float:
        init, final = self.cfg.init_lr_scale, self.cfg.final_lr_scale
        if update < self.warmup:
            return init + (1.0 - init) * update / self.warmup
        update -= self.warmup
        if update < self.hold:
            return 1.0
        update -= self.hold
        if update <= self.decay and self.decay > 0:
            return math.exp(math.log(final) * update / self.decay)
        return final
