"""Right and wrong implementations of the graded functions, for the soundness suite."""
