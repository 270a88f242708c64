"""Progress bars for long-running management commands."""

from __future__ import annotations

import sys

from tqdm import tqdm


class PhaseProgress:
    """One tqdm bar per phase, measured in bytes of the input file."""

    def __init__(self, *, disable: bool = False) -> None:
        self.disable = disable
        self.bars: dict[str, tqdm] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        bar = self.bars.get(phase)
        if bar is None:
            for other in self.bars.values():
                other.close()
            bar = tqdm(
                total=total,
                desc=f"{phase:<10}",
                unit="B",
                unit_scale=True,
                file=sys.stderr,
                disable=self.disable,
                dynamic_ncols=True,
            )
            self.bars[phase] = bar
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
