"""Deterministic demo data for the market-software slice, calibrated on the SPASER 2022 figures.

``write_demo_inbox(target)`` writes an inbox (see ../shared/spec/sources.md for the layout) whose
2022 indicators reproduce the SPASER document's baseline; see ``spaser_demo.calibration``.
"""

from spaser_demo.inbox import write_demo_inbox

__all__ = ["write_demo_inbox"]
