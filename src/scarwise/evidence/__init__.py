"""scarwise.evidence."""
