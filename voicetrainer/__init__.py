"""voicetrainer: spoken mock calls with a difficult customer, graded after the call."""

__version__ = "0.1.0"
