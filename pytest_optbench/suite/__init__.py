"""Suite files -> validated cases: loading, validation, case building, class resolution."""
