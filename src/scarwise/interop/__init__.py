"""scarwise.interop."""
