"""Progress bars for long-running management commands."""

from __future__ import annotations

import sys

from tqdm import tqdm

# Reading phases count bytes of the input file; writing phases count tasks.
BYTE_PHASES = {"validating", "reading"}


class PhaseProgress:
    """One tqdm bar per phase: bytes of the input file while reading it, tasks while writing them."""

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
                unit="B" if phase in BYTE_PHASES else " tasks",
                unit_scale=phase in BYTE_PHASES,
                file=sys.stderr,
                disable=self.disable,
                dynamic_ncols=True,
            )
            self.bars[phase] = bar
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
