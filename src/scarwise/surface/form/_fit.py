"""Least-squares plane and polynomial form removal (placeholder until implemented)."""


def fit_plane(*args, **kwargs):
    raise NotImplementedError


def fit_polynomial(*args, **kwargs):
    raise NotImplementedError


def remove_form(*args, **kwargs):
    raise NotImplementedError
