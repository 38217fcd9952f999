"""Tests for group_limited_topk."""
import pytest
import torch

from solution import group_limited_topk


def by_expert(weights, indices):
    """Sort each row's slots by expert id, so that any slot order compares equal."""
    order = indices.argsort(dim=-1)
    return weights.gather(1, order), indices.gather(1, order)


def brute_force(scores, bias, k, num_groups, topk_groups):
    T, E = scores.shape
    per_group = E // num_groups
    weights, indices = [], []
    for t in range(T):
        choice = (scores[t] + bias).tolist()
        groups = sorted(range(num_groups), key=lambda g: -sum(sorted(choice[g * per_group:(g + 1) * per_group])[-2:]))
        allowed = [e for g in groups[:topk_groups] for e in range(g * per_group, (g + 1) * per_group)]
        chosen = sorted(sorted(allowed, key=lambda e: -choice[e])[:k])
        w = scores[t, chosen]
        weights.append(w / w.sum())
        indices.append(chosen)
    return torch.stack(weights), torch.tensor(indices)


def test_group_score_is_the_sum_of_the_top_two():
    # groups of 2: g0 = {0, 1} sums 1.0, g1 = {2, 3} sums 1.15, g2 = {4, 5} sums 0.8, g3 = {6, 7} sums 0.6.
    # The best two groups are g1 and g0, so expert 4 (0.8, the second best expert) is out of reach.
    # Scoring groups by their max would keep g0 and g2 and pick expert 4.
    scores = torch.tensor([[0.9, 0.1, 0.6, 0.55, 0.8, 0.0, 0.3, 0.3]])
    weights, indices = by_expert(*group_limited_topk(scores, torch.zeros(8), 2, 4, 2))
    assert indices.tolist() == [[0, 2]]
    torch.testing.assert_close(weights.float(), torch.tensor([[0.9, 0.6]]) / 1.5)


def test_bias_selects_but_does_not_weight():
    scores = torch.tensor([[0.9, 0.1, 0.6, 0.55, 0.8, 0.0, 0.3, 0.3]])
    bias = torch.zeros(8)
    bias[1] = 1.0  # expert 1 now wins the selection ...
    weights, indices = by_expert(*group_limited_topk(scores, bias, 2, 4, 2))
    assert indices.tolist() == [[0, 1]]
    # ... but its weight comes from its unbiased score 0.1
    torch.testing.assert_close(weights.float(), torch.tensor([[0.9, 0.1]]))


def test_chosen_experts_lie_in_at_most_topk_groups_groups():
    torch.manual_seed(0)
    scores = torch.rand(64, 16)
    _, indices = group_limited_topk(scores, torch.zeros(16), 4, 8, 2)
    for row in indices.tolist():
        assert len(set(row)) == 4
        assert len({e // 2 for e in row}) <= 2, f"experts {row} span more than 2 groups"


def test_matches_brute_force_with_bias():
    torch.manual_seed(1)
    scores = torch.rand(40, 12)
    bias = torch.randn(12) * 0.1
    weights, indices = by_expert(*group_limited_topk(scores, bias, 3, 4, 2))
    exp_weights, exp_indices = brute_force(scores, bias, 3, 4, 2)
    assert torch.equal(indices, exp_indices)
    torch.testing.assert_close(weights.float(), exp_weights, rtol=1e-4, atol=1e-6)


def test_weights_sum_to_one_and_indices_are_long():
    torch.manual_seed(2)
    weights, indices = group_limited_topk(torch.rand(10, 8), torch.zeros(8), 2, 2, 1)
    assert weights.shape == (10, 2) and indices.shape == (10, 2)
    assert indices.dtype == torch.long
    torch.testing.assert_close(weights.sum(-1).float(), torch.ones(10))


def test_one_group_is_plain_topk():
    torch.manual_seed(3)
    scores = torch.rand(20, 6)
    weights, indices = by_expert(*group_limited_topk(scores, torch.zeros(6), 2, 1, 1))
    top = scores.topk(2, dim=-1).indices.sort(dim=-1).values
    assert torch.equal(indices, top)


@pytest.mark.parametrize("k, num_groups, topk_groups", [(2, 3, 1), (2, 4, 5), (5, 4, 2)])
def test_bad_settings_raise_value_error(k, num_groups, topk_groups):
    # E = 8: 3 groups do not divide it; 5 of 4 groups; 5 experts from 2 groups of 2
    with pytest.raises(ValueError):
        group_limited_topk(torch.rand(4, 8), torch.zeros(8), k, num_groups, topk_groups)
