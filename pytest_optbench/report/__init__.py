"""Terminal table, Markdown, HTML, plots and compare, read from result records only."""
