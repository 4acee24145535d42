"""scarwise: measure atrophic acne scars in 3D and weigh regenerative therapies by their evidence."""

__version__ = "0.1.0"
