"""moe_core: a small, readable Mixture-of-Experts library in PyTorch."""
