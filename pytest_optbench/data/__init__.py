"""Data for real-data problems: datasets as device tensors, batched augmentation."""
