"""luna-db's verbs as plain functions (one module per verb): validate, then do the work; no argv, no printing."""
