"""scarwise.cohort."""
