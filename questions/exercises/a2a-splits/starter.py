"""Expert parallelism: the input split sizes of the dispatch all-to-all."""
import torch


def all_to_all_splits(tokens_per_expert, world_size: int) -> list[int]:
    """tokens_per_expert [E] (tensor or list) -> rows sent to each of the world_size ranks
    (a list of ints).

    Experts are placed in contiguous blocks, the first ranks owning one more when
    E % world_size != 0.
    Raises ValueError unless 1 <= world_size <= E.
    """
    raise NotImplementedError
