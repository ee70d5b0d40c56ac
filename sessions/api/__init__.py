"""The sessions REST API: one module per area, one view per URL, one service call per method."""
