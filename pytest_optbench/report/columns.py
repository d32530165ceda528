"""The columns of the comparison table: the terminal, Markdown and HTML show the same ones."""

COLUMNS = ("case", "metric", "value", "baseline", "delta", "limit", "status")
PER_SEED = "per seed"
