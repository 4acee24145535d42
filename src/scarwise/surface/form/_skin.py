"""Robust skin-level reference for scar detection (placeholder until implemented)."""


def skin_level(*args, **kwargs):
    raise NotImplementedError
