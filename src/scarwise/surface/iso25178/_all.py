"""All areal parameters of one surface (placeholder until implemented)."""

CONTRACT_PARAMETERS = ("Sa", "Sq", "Sp", "Sv", "Sz", "Ssk", "Sku", "Sdq", "Sdr")


def areal_parameters(*args, **kwargs):
    raise NotImplementedError
