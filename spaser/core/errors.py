"""The exception every layer raises when the night cannot go on."""

from __future__ import annotations


class NightStepFailed(RuntimeError):
    """A step decided that the night cannot go on; the message says why, in French."""
