"""Synthetic skin patches with known scars (placeholder until implemented)."""


def make_skin_patch(*args, **kwargs):
    raise NotImplementedError
