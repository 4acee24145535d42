"""scarwise.therapy."""
