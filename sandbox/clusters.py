"""Synthetic inputs drawn from Zipf-weighted clusters: the one generator behind simulate's and train's skewed data."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from moe_core.checks import check_float, check_int

MAX_CLUSTERS = 4096


@dataclass(frozen=True)
class ZipfClusters:
    """num_clusters centres on the sphere of radius sqrt(d); cluster c is drawn with weight 1 / (c + 1)^zipf_exponent.

    A high exponent makes a few kinds of input dominate: a router tends to send them all to the same experts.
    """
    centres: Tensor   # [C, d] unit-norm directions scaled by sqrt(d), so a centre is as long as an N(0, I) token
    weights: Tensor   # [C] float64 Zipf weights (multinomial normalises them)

    @classmethod
    def draw(cls, num_clusters: int, d_model: int, zipf_exponent: float,
             generator: torch.Generator) -> ZipfClusters:
        """Draws the centres from `generator` (C * d normal draws); the weights are fixed by the exponent."""
        check_int("num_clusters", num_clusters, 1, MAX_CLUSTERS)
        check_int("d_model", d_model, 1)
        check_float("zipf_exponent", zipf_exponent, 0.0, 10.0)
        centres = torch.randn(num_clusters, d_model, generator=generator)
        centres = centres / centres.norm(dim=1, keepdim=True) * math.sqrt(d_model)          # [C, d]
        weights = 1.0 / torch.arange(1, num_clusters + 1, dtype=torch.float64) ** zipf_exponent  # [C]
        return cls(centres, weights)

    def sample(self, num_tokens: int, spread: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """(tokens [T, d], cluster ids [T]): a Zipf-drawn cluster per token, token = centre + spread * N(0, I)."""
        check_float("cluster_spread", spread, 0.0, 100.0)
        cluster_ids = torch.multinomial(self.weights, num_tokens, replacement=True, generator=generator)  # [T]
        noise = torch.randn(num_tokens, self.centres.shape[1], generator=generator)                    # [T, d]
        return self.centres[cluster_ids] + spread * noise, cluster_ids
