"""Code both halves share: the configuration schema and nothing heavier (no numpy, no torch)."""
