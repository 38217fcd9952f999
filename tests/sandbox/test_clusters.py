"""ZipfClusters: the one generator of skewed inputs (simulate's clustered tokens, train's task)."""
from __future__ import annotations

import math

import pytest
import torch

from sandbox.clusters import ZipfClusters
from sandbox.simulate import make_tokens


def test_centres_have_the_length_of_a_token_and_weights_follow_zipf():
    clusters = ZipfClusters.draw(8, 16, 1.5, torch.Generator().manual_seed(0))
    assert clusters.centres.shape == (8, 16)
    assert torch.allclose(clusters.centres.norm(dim=1), torch.full((8,), math.sqrt(16)))
    assert clusters.weights.tolist() == pytest.approx([1 / (c + 1) ** 1.5 for c in range(8)])


def test_popular_clusters_are_drawn_more_often_and_tokens_sit_near_their_centre():
    generator = torch.Generator().manual_seed(1)
    clusters = ZipfClusters.draw(4, 32, 2.0, generator)
    tokens, ids = clusters.sample(20_000, 0.1, generator)
    counts = torch.bincount(ids, minlength=4).tolist()
    assert counts == sorted(counts, reverse=True) and counts[0] > 10 * counts[3]
    assert (tokens - clusters.centres[ids]).norm(dim=1).max() < 0.1 * math.sqrt(32) * 2


def test_zipf_exponent_zero_draws_clusters_evenly():
    generator = torch.Generator().manual_seed(2)
    _tokens, ids = ZipfClusters.draw(4, 8, 0.0, generator).sample(8000, 0.5, generator)
    assert all(1800 < count < 2200 for count in torch.bincount(ids).tolist())


def test_same_generator_seed_same_draws():
    def draw(seed):
        generator = torch.Generator().manual_seed(seed)
        return ZipfClusters.draw(8, 8, 1.2, generator).sample(100, 0.5, generator)
    assert all(torch.equal(a, b) for a, b in zip(draw(3), draw(3)))
    assert not torch.equal(draw(3)[0], draw(4)[0])


def test_make_tokens_clusters_only_the_clustered_skew():
    tokens, ids = make_tokens(512, 16, "clustered", seed=0, zipf_exponent=2.0)
    assert tokens.shape == (512, 16) and ids.max() > 0
    plain, plain_ids = make_tokens(512, 16, "uniform", seed=0)
    assert plain.shape == (512, 16) and not plain_ids.any()


@pytest.mark.parametrize("call, message", [
    (lambda g: ZipfClusters.draw(0, 8, 1.0, g), "num_clusters (0) must be >= 1"),
    (lambda g: ZipfClusters.draw(8, 8, -1.0, g), "zipf_exponent (-1.0) must be >= 0.0"),
    (lambda g: ZipfClusters.draw(8, 8, 1.0, g).sample(4, float("inf"), g), "cluster_spread must be a finite number"),
])
def test_bad_settings_name_the_constraint(call, message):
    with pytest.raises(ValueError) as error:
        call(torch.Generator().manual_seed(0))
    assert message in str(error.value)
