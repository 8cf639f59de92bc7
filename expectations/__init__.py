"""Data quality of the warehouse: Great Expectations suites, the publication gate and the swap."""
