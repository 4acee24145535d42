"""scarwise.clinic."""
