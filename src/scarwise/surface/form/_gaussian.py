"""ISO 16610-61 areal Gaussian filters (placeholder until implemented)."""


def gaussian_filter(*args, **kwargs):
    raise NotImplementedError


def l_filter(*args, **kwargs):
    raise NotImplementedError


def s_filter(*args, **kwargs):
    raise NotImplementedError
