"""A correct ep-dispatch-combine solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch
import torch.nn.functional as F


def all_to_all(send_buffers, send_splits):
    world = len(send_buffers)
    chunks = [buffer.split(list(splits)) for buffer, splits in zip(send_buffers, send_splits)]
    return [torch.cat([chunks[source][dest] for source in range(world)]) for dest in range(world)]


def ep_moe_forward(x_per_rank, router_weight, local_experts, top_k):
    world, num_experts = len(x_per_rank), router_weight.shape[0]
    n_local = [w1.shape[0] for w1, _, _ in local_experts]
    sends, counts, routes = [], [], []
    for x in x_per_rank:
        probs = (x.float() @ router_weight.float().T).softmax(-1)
        weights, indices = probs.topk(top_k, dim=-1)
        weights = weights / weights.sum(-1, keepdim=True)
        order = torch.argsort(indices.reshape(-1), stable=True)
        sends.append(x[order // top_k])
        counts.append(torch.bincount(indices.reshape(-1), minlength=num_experts))
        routes.append((order, weights.reshape(-1)[order]))
    recv_counts = [c.view(world, n) for c, n in zip(all_to_all([c.view(-1, 1) for c in counts], [n_local] * world),
                                                     n_local)]
    input_splits = [[int(b.sum()) for b in c.split(n_local)] for c in counts]
    output_splits = [c.sum(1).tolist() for c in recv_counts]
    received = all_to_all(sends, input_splits)
    results = []
    for rank, (rows, rc, (w1, w2, w3)) in enumerate(zip(received, recv_counts, local_experts)):
        row_expert = torch.arange(n_local[rank]).repeat(world).repeat_interleave(rc.flatten())
        expert_major = torch.argsort(row_expert, stable=True)
        parts = rows[expert_major].split(rc.sum(0).tolist())
        y = torch.cat([(F.silu(p @ w1[e]) * (p @ w3[e])) @ w2[e] for e, p in enumerate(parts)])
        results.append(torch.empty_like(y).index_copy(0, expert_major, y))
    home = all_to_all(results, output_splits)
    outputs = [torch.zeros_like(x).index_add(0, order // top_k, y * w.unsqueeze(1))
               for x, y, (order, w) in zip(x_per_rank, home, routes)]
    return outputs, [int(c.sum()) for c in recv_counts]
