"""Problems an optimizer is run on: analytic test functions (and, later, datasets and models)."""
