"""Extraction of the source systems' nightly deliveries into the warehouse's raw schema."""
