"""Parameter and FLOP counts of an MoE transformer from its config.json."""


def model_size(config: dict) -> dict:
    """-> {"total_params", "active_params", "embedding_params", "flops_per_token"}:
    ints, counts (not billions).

    active: every weight one token multiplies with (no unused routed experts, no input
    embedding table); flops_per_token = 2 * active_params.
    """
    raise NotImplementedError
