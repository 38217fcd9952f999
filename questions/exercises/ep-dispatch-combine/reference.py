"""Reference for ep-dispatch-combine: moe_core's routing, permute / unpermute and experts around a simulated
all-to-all (the steps of moe_core.parallel.ExpertParallelExperts, with the ranks as list entries)."""
import torch

from moe_core import expert_ffn, permute, topk_softmax, unpermute


def all_to_all(send_buffers, send_splits):
    world = len(send_buffers)
    for rank, (buffer, splits) in enumerate(zip(send_buffers, send_splits)):
        if len(splits) != world or sum(splits) != buffer.shape[0]:
            raise ValueError(f"send_splits[{rank}] must have {world} entries summing to {buffer.shape[0]}")
    chunks = [buffer.split([int(n) for n in splits]) for buffer, splits in zip(send_buffers, send_splits)]
    return [torch.cat([chunks[source][dest] for source in range(world)]) for dest in range(world)]


def ep_moe_forward(x_per_rank, router_weight, local_experts, top_k):
    world, num_experts = len(x_per_rank), router_weight.shape[0]
    n_local = [w1.shape[0] for w1, _, _ in local_experts]
    routed = []                                      # per source rank: routing, x_sorted, token_index, slot_index, counts
    for x in x_per_rank:
        routing = topk_softmax(x.float() @ router_weight.float().T, top_k)
        routed.append((routing, *permute(x, routing.indices, None, num_experts)))
    # 1-2. count exchange: rank s learns how many rows each source sends to each of its experts -> [world, n_local[s]]
    recv_counts = all_to_all([r[4].view(-1, 1) for r in routed], [n_local] * world)
    recv_counts = [c.view(world, n) for c, n in zip(recv_counts, n_local)]
    # 3. splits: rows to each destination, rows from each source
    input_splits = [[int(block.sum()) for block in r[4].split(n_local)] for r in routed]
    output_splits = [c.sum(1).tolist() for c in recv_counts]
    # 4. dispatch
    x_recv = all_to_all([r[1] for r in routed], input_splits)  # rank-major: source 0's experts, source 1's ...
    y_back = []
    for rank, (received, counts, (w1, w2, w3)) in enumerate(zip(x_recv, recv_counts, local_experts)):
        # 5. rank-major -> expert-major, local experts, and back
        row_expert = torch.arange(n_local[rank]).repeat(world).repeat_interleave(counts.flatten())
        expert_major = torch.argsort(row_expert, stable=True)
        y = expert_ffn(received.index_select(0, expert_major), counts.sum(0), w1, w2, w3)
        y_back.append(torch.empty_like(y).index_copy(0, expert_major, y))
    # 6. combine: a second all-to-all back home, then weight and sum onto the tokens
    y_home = all_to_all(y_back, output_splits)
    outputs = [unpermute(y, r[2], r[0].weights.reshape(-1).index_select(0, r[3]), x.shape[0])
               for y, r, x in zip(y_home, routed, x_per_rank)]
    return outputs, [int(c.sum()) for c in recv_counts]
