"""scarwise.report."""
