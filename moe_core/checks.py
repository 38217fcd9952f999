"""Argument checks for moe_core, the sandbox and the exercise runner: each raises ValueError naming the parameter and
the constraint it breaks ("top_k (9) must be <= num_experts (8)")."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sized
from typing import TYPE_CHECKING

# torch is imported inside the tensor checks only: the scalar checks serve callers that never touch a tensor (the
# exercise runner checks one string), and `import moe_core.checks` then costs no torch import (~1.5 s).
if TYPE_CHECKING:
    from torch import Tensor


def check_int(name: str, value, low: int | None = None, high: int | None = None, high_name: str | None = None) -> int:
    """`value` must be an int in [low, high]; `high_name` names where the upper bound comes from."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} ({value}) must be >= {low}")
    if high is not None and value > high:
        bound = f"{high_name} ({high})" if high_name else str(high)
        raise ValueError(f"{name} ({value}) must be <= {bound}")
    return value


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def check_float(name: str, value, low: float | None = None, high: float | None = None) -> float:
    """`value` must be a finite number (int or float, not bool) in [low, high]."""
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} ({value}) must be >= {low}")
    if high is not None and value > high:
        raise ValueError(f"{name} ({value}) must be <= {high}")
    return float(value)


def check_positive(name: str, value) -> float:
    """`value` must be a finite number > 0."""
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} ({value!r}) must be a finite number > 0")
    return float(value)


def check_bool(name: str, value) -> bool:
    """`value` must be True or False (not 0 / 1, not None)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return value


def check_choice(name: str, value, options: Iterable) -> object:
    """`value` must be one of `options`: "router ('x') must be one of ['hash', ...]"."""
    options = list(options)
    if value not in options:
        raise ValueError(f"{name} ({value!r}) must be one of {options}")
    return value


def check_len(name: str, value: Sized, expected: int, expected_name: str) -> None:
    """len(value) (a tensor's dim 0, a list's length) must be `expected`: "bias has length 7, expected
    num_experts (8)"."""
    if len(value) != expected:
        raise ValueError(f"{name} has length {len(value)}, expected {expected_name} ({expected})")


def check_same_rows(name: str, tensor: Tensor, ref_name: str, ref: Tensor) -> None:
    """`tensor` must have as many rows (dim 0) as `ref`: "indices has length 4, expected len(x) (3)"."""
    check_len(name, tensor, len(ref), f"len({ref_name})")


def check_tensor(name: str, tensor, ndim: int | None = None, floating: bool = False, integer: bool = False) -> Tensor:
    """`tensor` must be a torch.Tensor, with `ndim` dims, floating point or integer (not bool) as asked."""
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if ndim is not None and tensor.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dims, got shape {tuple(tensor.shape)}")
    if floating and not tensor.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {tensor.dtype}")
    if integer and (tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool):
        raise ValueError(f"{name} must be an integer tensor, got {tensor.dtype}")
    return tensor


def check_logits(name: str, logits, num_experts: int | None = None) -> Tensor:
    """Router logits: [T, E], floating, finite (a NaN/inf logit silently poisons softmax and top-k)."""
    import torch

    check_tensor(name, logits, ndim=2, floating=True)
    if num_experts is not None and logits.shape[1] != num_experts:
        raise ValueError(f"{name} has {logits.shape[1]} experts in dim 1, expected num_experts ({num_experts})")
    # a finite sum proves every entry finite (one cheap reduction); only an overflowing sum needs the full check
    if not torch.isfinite(logits.sum()) and not torch.isfinite(logits).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return logits


def check_expert_ids(name: str, indices, num_experts: int) -> Tensor:
    """Expert ids: an integer tensor with values in [0, num_experts)."""
    check_tensor(name, indices, integer=True)
    if indices.numel() and (indices.min() < 0 or indices.max() >= num_experts):
        raise ValueError(f"{name} values must be in [0, num_experts ({num_experts})), "
                         f"got [{int(indices.min())}, {int(indices.max())}]")
    return indices
