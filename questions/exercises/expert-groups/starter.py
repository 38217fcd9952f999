"""Expert groups: which experts each expert-parallel rank owns."""


def create_expert_groups(num_experts: int, parallel_size: int) -> list[list[int]]:
    """Contiguous expert ids per rank; with a remainder the first ranks get one expert more.

    create_expert_groups(10, 4) -> [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    Raises ValueError when num_experts < 1, parallel_size < 1 or
    parallel_size > num_experts.
    """
    raise NotImplementedError
