"""Choose a reader or writer by file suffix (placeholder until implemented)."""

SUPPORTED_SUFFIXES: tuple[str, ...] = ()


def read_surface(*args, **kwargs):
    raise NotImplementedError


def write_surface(*args, **kwargs):
    raise NotImplementedError
