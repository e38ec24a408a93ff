"""Synthetic samples: the specs of what each new sample must cover, drawn from the catalog and the
seed samples."""
