"""Surface metrology: read scans, remove form, areal parameters, scars, grades."""
