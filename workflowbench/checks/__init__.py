"""Static checks of a sample's workflow: nothing is run, everything is read from the model."""
