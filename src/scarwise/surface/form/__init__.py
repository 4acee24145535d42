"""Form removal, ISO 16610 Gaussian filters and the robust skin-level reference."""

from scarwise.surface.form._fit import fit_plane, fit_polynomial, remove_form
from scarwise.surface.form._gaussian import gaussian_filter, l_filter, s_filter
from scarwise.surface.form._skin import skin_level

__all__ = ["fit_plane", "fit_polynomial", "gaussian_filter", "l_filter", "remove_form", "s_filter", "skin_level"]
