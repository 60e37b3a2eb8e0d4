"""Property-based tests (hypothesis): code normalisation, ages and dates, the query guard, the policy parser."""
