"""Step time: parameter sets, the synchronised timer, bandwidth."""
