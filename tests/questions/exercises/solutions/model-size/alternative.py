"""A correct model-size solution written without moe_core; wrong.yaml breaks it in plausible ways."""
def need(config, key):
    if config.get(key) is None:
        raise ValueError(f"config is missing {key}")
    return config[key]


def attention(c, d):
    heads = need(c, "num_attention_heads")
    if c.get("kv_lora_rank") is None:
        head_dim = c.get("head_dim") or d // heads
        kv_heads = c.get("num_key_value_heads") or heads
        return d * head_dim * (2 * heads + 2 * kv_heads)
    rank, rope, nope, v = (need(c, k) for k in ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"))
    q_rank = c.get("q_lora_rank")
    query = d * heads * (nope + rope) if q_rank is None else d * q_rank + q_rank + q_rank * heads * (nope + rope)
    return query + d * (rank + rope) + rank + rank * heads * (nope + v) + heads * v * d


def model_size(config):
    d, layers = need(config, "hidden_size"), need(config, "num_hidden_layers")
    embedding = need(config, "vocab_size") * d
    experts = config.get("n_routed_experts") or config.get("num_local_experts") or 0
    dense = config.get("first_k_dense_replace", 0) if experts else layers
    common = layers * (attention(config, d) + 2 * d) + d + (0 if config.get("tie_word_embeddings") else embedding)
    total = active = common + dense * 3 * d * (need(config, "intermediate_size") if dense else 0)
    if experts:
        expert = 3 * d * (config.get("moe_intermediate_size") or need(config, "intermediate_size"))
        router = experts * d + (experts if config.get("topk_method") == "noaux_tc" else 0)
        shared = config.get("n_shared_experts", 0) * expert
        total += (layers - dense) * (experts * expert + shared + router)
        active += (layers - dense) * (need(config, "num_experts_per_tok") * expert + shared + router)
    return {"total_params": total + embedding, "active_params": active, "embedding_params": embedding,
            "flops_per_token": 2 * active}
