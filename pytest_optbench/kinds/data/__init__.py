"""Real-data problems: datasets on the device, models, training, metrics."""
