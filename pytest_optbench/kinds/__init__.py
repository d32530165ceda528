"""The kinds of case, one folder each."""
