"""Guided experiments: a question, a starting setting, a goal and a check computed from the sandbox's live result.

A plain table (no torch, no Streamlit), like presets.py: the bank's links and the practice page can read it cheaply.
Each experiment starts from `settings` (simulate() arguments overriding the defaults, as a preset's) and `train`
(training settings); its `check` reads the live result: a `SimulationResult` for kind "simulate", the training runs
{balance method: TrainResult} for kind "train" (objects or their to_dict() dicts), and returns a `CheckResult` with a
short explanation in English and Chinese.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

KINDS = ("simulate", "train")
CV_GOAL = 0.2           # "balanced": load CV under this
CV_WINDOW = 10          # steps averaged when a training curve is read (one step is noisy)


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    explanation: dict   # {"en": ..., "zh": ...}: one or two sentences about the live result


@dataclass(frozen=True)
class Experiment:
    id: str
    title: dict                 # {"en", "zh"}: a few words
    question: dict              # {"en", "zh"}: what the experiment asks
    goal: dict                  # {"en", "zh"}: what to reach by changing the settings
    kind: str                   # "simulate" (reads setting A's routing) or "train" (reads the training runs)
    check: Callable[[Any], CheckResult]
    settings: dict = field(default_factory=dict)   # simulate() arguments overriding the defaults
    train: dict = field(default_factory=dict)      # training settings overriding the defaults
    question_ids: tuple = ()    # bank questions this experiment answers by playing


def _says(passed: bool, en: str, zh: str) -> CheckResult:
    return CheckResult(bool(passed), {"en": en, "zh": zh})


def _get(result: Any, name: str):
    """A field of a result object or of its to_dict() dict."""
    return result[name] if isinstance(result, Mapping) else getattr(result, name)


def _tail_mean(values: list, window: int = 20) -> float:
    tail = list(values)[-window:]
    return sum(tail) / len(tail) if tail else float("nan")


def steps_to_balance(load_cv: list, goal: float = CV_GOAL, window: int = CV_WINDOW) -> int | None:
    """The first step at which the mean load CV of the last `window` steps is under `goal`; None if never."""
    values = list(load_cv)
    for end in range(window, len(values) + 1):
        if sum(values[end - window:end]) / window < goal:
            return end
    return None


def padding_share(result: Any) -> float:
    """Share of the capacity buffers (capacity x E slots) that holds no token; 0 when dropless."""
    capacity = _get(result, "capacity")
    if capacity is None:
        return 0.0
    kept = sum(_get(result, "tokens_per_expert"))
    return 1.0 - kept / (capacity * len(_get(result, "tokens_per_expert")))


# ---- checks on one routing pass (SimulationResult) -------------------------------------------------------------------
def check_capacity_without_drops(result) -> CheckResult:
    settings, dropped = _get(result, "settings"), _get(result, "dropped_tokens")
    if settings["capacity_factor"] is None:
        return _says(False, "Dropless is on: turn it off, the question is what a fixed capacity costs.",
                     "当前是 dropless：请关闭它，本实验问的是固定容量的代价。")
    pad = padding_share(result)
    if dropped:
        return _says(False, f"{dropped:,} slots are still dropped at capacity factor {settings['capacity_factor']:g}; "
                            f"the buffers are already {pad:.0%} padding.",
                     f"容量因子 {settings['capacity_factor']:g} 时仍有 {dropped:,} 个槽位被丢弃；缓冲区已有 {pad:.0%} 是填充。")
    return _says(True, f"No slot dropped at capacity factor {settings['capacity_factor']:g}, but {pad:.0%} of the "
                       f"expert buffers is padding: the busiest expert sets the size of all of them.",
                 f"容量因子 {settings['capacity_factor']:g} 时没有丢弃，但专家缓冲区有 {pad:.0%} 是填充："
                 f"最忙的专家决定了所有缓冲区的大小。")


def check_top1_even_load(result) -> CheckResult:
    settings = _get(result, "settings")
    max_mean, dropped = _get(result, "max_mean_load"), _get(result, "dropped_tokens")
    cf = settings["capacity_factor"]
    if settings["top_k"] != 1 or settings["skew"] != "uniform" or cf is None:
        return _says(False, "Keep top-1, uniform input and a fixed capacity factor.",
                     "请保持 top-1、均匀输入和固定的容量因子。")
    if dropped:
        return _says(False, f"The load CV is only {_get(result, 'load_cv'):.2f}, yet the busiest expert gets "
                            f"{max_mean:.2f}x the mean: at capacity factor {cf:g} it drops {dropped:,} slots.",
                     f"负载 CV 只有 {_get(result, 'load_cv'):.2f}，但最忙的专家拿到均值的 {max_mean:.2f} 倍："
                     f"容量因子 {cf:g} 时丢弃 {dropped:,} 个槽位。")
    tight = cf < max_mean + 0.25
    return _says(tight, f"No drops: the capacity factor {cf:g} covers the busiest expert ({max_mean:.2f}x the mean)"
                        + ("." if tight else f"; a factor just above {max_mean:.2f} is enough."),
                 f"没有丢弃：容量因子 {cf:g} 覆盖了最忙的专家（均值的 {max_mean:.2f} 倍）"
                 + ("。" if tight else f"；略高于 {max_mean:.2f} 就够了。"))


def check_node_limit(result) -> CheckResult:
    settings, reached = _get(result, "settings"), _get(result, "tokens_by_ranks_reached")
    most = max((ranks for ranks, count in enumerate(reached) if count), default=0)
    mean = sum(ranks * count for ranks, count in enumerate(reached)) / max(1, sum(reached))
    groups = settings["topk_groups"]
    if settings["router"] != "sigmoid_group_limited":
        return _says(False, "Keep DeepSeek-V3's group-limited sigmoid router.", "请保持 DeepSeek-V3 的分组受限 sigmoid 路由。")
    if most > 4:
        return _says(False, f"With {groups} groups per token some tokens reach {most} ranks (mean {mean:.2f}).",
                     f"每个 token 可用 {groups} 组时，有的 token 到达 {most} 个 rank（平均 {mean:.2f}）。")
    enough = groups >= 4
    return _says(enough, f"At most {most} ranks per token (mean {mean:.2f}) with {groups} groups per token"
                         + ("; 4 is the most that keeps it, so the router keeps as much choice as it can."
                            if enough else "; more groups would still stay within 4 ranks and give the router more "
                                           "choice."),
                 f"每个 token 可用 {groups} 组时最多到达 {most} 个 rank（平均 {mean:.2f}）"
                 + ("；4 组是满足约束的最大值，路由保留了尽可能多的选择。" if enough else "；再多几组仍不超过 4 个 rank，且路由选择更多。"))


def check_expert_choice(result) -> CheckResult:
    settings, missed = _get(result, "settings"), _get(result, "tokens_without_expert")
    if settings["router"] != "expert_choice":
        return _says(False, f"Token choice drops {_get(result, 'dropped_tokens'):,} slots here: switch the router to "
                            f"expert choice.",
                     f"这里 token choice 丢弃了 {_get(result, 'dropped_tokens'):,} 个槽位：请把路由换成 expert choice。")
    total = settings["num_tokens"]
    if missed:
        return _says(False, f"Expert choice drops no slot, but {missed:,} tokens ({missed / total:.1%}) were picked by "
                            f"no expert: the drop moved from slots to whole tokens.",
                     f"Expert choice 不丢槽位，但有 {missed:,} 个 token（{missed / total:.1%}）没有被任何专家选中："
                     f"丢弃从槽位变成了整个 token。")
    return _says(True, f"Every token got at least one expert at capacity factor {settings['capacity_factor']:g}; in "
                       f"a decoder each expert's top-C would need future tokens, which is why it is not used as-is.",
                 f"容量因子 {settings['capacity_factor']:g} 时每个 token 都至少有一个专家；但在解码器中每个专家的 top-C "
                 f"需要看到未来的 token，所以不能直接使用。")


def check_dropless(result) -> CheckResult:
    settings, max_mean = _get(result, "settings"), _get(result, "max_mean_load")
    if settings["capacity_factor"] is not None:
        return _says(False, f"At capacity factor {settings['capacity_factor']:g} {_get(result, 'dropped_tokens'):,} "
                            f"slots are dropped and {padding_share(result):.0%} of the buffers is padding.",
                     f"容量因子 {settings['capacity_factor']:g} 时丢弃 {_get(result, 'dropped_tokens'):,} 个槽位，"
                     f"缓冲区有 {padding_share(result):.0%} 是填充。")
    return _says(True, f"Dropless keeps every slot. A fixed capacity would need factor {max_mean:.2f} (the busiest "
                       f"expert / mean) and {1 - 1 / max_mean:.0%} of its buffers would be padding.",
                 f"Dropless 保留所有槽位。固定容量需要容量因子 {max_mean:.2f}（最忙专家/均值），"
                 f"其缓冲区有 {1 - 1 / max_mean:.0%} 是填充。")


# ---- checks on training runs ({balance method: TrainResult}) ---------------------------------------------------------
def _missing(runs: Mapping, needed: tuple) -> CheckResult | None:
    absent = [method for method in needed if method not in runs]
    if absent:
        names = ", ".join(absent)
        return _says(False, f"Train with {names} as well.", f"请同时用 {names} 训练。")
    return None


def check_hot_expert_balance(runs: Mapping) -> CheckResult:
    missing = _missing(runs, ("aux", "bias"))
    if missing:
        return missing
    steps = {method: steps_to_balance(_get(run, "load_cv")) for method, run in runs.items() if method != "none"}
    reached = {method: step for method, step in steps.items() if step is not None}
    listing = ", ".join(f"{method}: {step if step is not None else '-'}" for method, step in steps.items())
    if not {"aux", "bias"} <= set(reached):
        return _says(False, f"Steps until the load CV stays under {CV_GOAL}: {listing}.",
                     f"负载 CV 稳定低于 {CV_GOAL} 所需步数：{listing}。")
    fastest = min(reached, key=reached.get)
    return _says(True, f"Steps until the load CV stays under {CV_GOAL}: {listing}; {fastest} is the fastest.",
                 f"负载 CV 稳定低于 {CV_GOAL} 所需步数：{listing}；{fastest} 最快。")


def check_z_loss(runs: Mapping) -> CheckResult:
    missing = _missing(runs, ("none", "z"))
    if missing:
        return missing
    plain, with_z = (_tail_mean(_get(runs[m], "z_loss")) for m in ("none", "z"))
    cv_plain, cv_z = (_tail_mean(_get(runs[m], "load_cv")) for m in ("none", "z"))
    smaller = with_z < 0.5 * plain
    return _says(smaller, f"z-loss value {with_z:.2f} with it vs {plain:.2f} without: the logits "
                          + ("shrank" if smaller else "did not shrink much")
                          + f". Load CV {cv_z:.2f} vs {cv_plain:.2f}: the z-loss keeps logits small, it does not "
                            f"balance the load.",
                  f"加 z-loss 后其值为 {with_z:.2f}，不加为 {plain:.2f}：logits " + ("变小了" if smaller else "没怎么变小")
                  + f"。负载 CV {cv_z:.2f} 对 {cv_plain:.2f}：z-loss 让 logits 变小，但不做负载均衡。")


def check_bias_balancing(runs: Mapping) -> CheckResult:
    missing = _missing(runs, ("bias",))
    if missing:
        return missing
    run = runs["bias"]
    cv, final = _tail_mean(_get(run, "load_cv")), (_get(run, "expert_bias") or [[0.0]])[-1]
    lowest = min(range(len(final)), key=final.__getitem__)  # the expert the bias pushed down most
    passed = cv < 0.25
    return _says(passed, f"Load CV {cv:.2f} over the last steps; expert {lowest}'s bias ended at {final[lowest]:+.3f}"
                         + (": the bias pushed the over-loaded expert down without any gradient." if passed
                            else ": train longer to get under 0.25."),
                 f"最后若干步负载 CV {cv:.2f}；专家 {lowest} 的偏置最终为 {final[lowest]:+.3f}"
                 + ("：偏置在没有梯度的情况下压低了过载的专家。" if passed else "：请训练更多步，使其低于 0.25。"))


def check_capacity_is_not_balancing(runs: Mapping) -> CheckResult:
    missing = _missing(runs, ("capacity", "aux"))
    if missing:
        return missing
    cv_capacity, cv_aux = (_tail_mean(_get(runs[m], "load_cv")) for m in ("capacity", "aux"))
    dropped = _tail_mean(_get(runs["capacity"], "drop_rate"))
    passed = cv_aux < 0.5 * cv_capacity
    return _says(passed, f"Load CV {cv_capacity:.2f} with a capacity limit (dropping {dropped:.0%} of the slots) vs "
                         f"{cv_aux:.2f} with the aux loss: capacity caps what an expert processes, it does not teach "
                         f"the router to spread." if passed else
                 f"Load CV {cv_capacity:.2f} with capacity vs {cv_aux:.2f} with the aux loss: raise the aux "
                 f"coefficient or the steps until the aux loss balances.",
                 f"容量限制下负载 CV {cv_capacity:.2f}（丢弃 {dropped:.0%} 的槽位），辅助损失下 {cv_aux:.2f}："
                 f"容量只限制专家处理多少，不会教路由分散。" if passed else
                 f"容量限制下负载 CV {cv_capacity:.2f}，辅助损失下 {cv_aux:.2f}：请提高辅助损失系数或步数。")


EXPERIMENTS: dict[str, Experiment] = {e.id: e for e in (
    Experiment(
        "capacity-without-drops",
        {"en": "Capacity vs padding", "zh": "容量与填充"},
        {"en": "Raise the capacity factor until no slot drops: what does it cost in padding?",
         "zh": "提高容量因子直到没有槽位被丢弃：要付出多少填充？"},
        {"en": "No dropped slot with a fixed capacity (dropless off).", "zh": "在固定容量下（关闭 dropless）没有槽位被丢弃。"},
        "simulate", check_capacity_without_drops,
        settings=dict(num_experts=16, top_k=2, capacity_factor=1.0, skew="clustered", ep_size=4),
        question_ids=("capacity-why-fixed-capacity", "capacity-padding-vs-drops-choice", "capacity-formula-choice")),
    Experiment(
        "top1-even-load-drops",
        {"en": "Even load, still drops", "zh": "负载均匀仍丢弃"},
        {"en": "Why does top-1 with capacity factor 1.0 drop tokens even when the load looks even?",
         "zh": "为什么 top-1、容量因子 1.0 时，即使负载看起来很均匀也会丢 token？"},
        {"en": "No drops with top-1 on uniform input, at a capacity factor just above the busiest expert's load.",
         "zh": "在 top-1、均匀输入下没有丢弃，且容量因子刚好高于最忙专家的负载。"},
        "simulate", check_top1_even_load,
        settings=dict(router="switch", top_k=1, num_experts=8, capacity_factor=1.0, skew="uniform", ep_size=4),
        question_ids=("routing-switch-top1", "capacity-dropped-token-fate-choice", "capacity-factor-train-vs-eval")),
    Experiment(
        "node-limited-groups",
        {"en": "DeepSeek-V3 within 4 ranks", "zh": "DeepSeek-V3 限定 4 个 rank"},
        {"en": "How many expert groups may a token use so that DeepSeek-V3's traffic stays within 4 of 8 ranks?",
         "zh": "每个 token 最多可用几组专家，才能让 DeepSeek-V3 的通信不超过 8 个 rank 中的 4 个？"},
        {"en": "Every token reaches at most 4 ranks, with as many groups per token as that allows.",
         "zh": "每个 token 最多到达 4 个 rank，并在此前提下让每个 token 可用的组尽量多。"},
        "simulate", check_node_limit,
        settings=dict(router="sigmoid_group_limited", num_experts=256, top_k=8, num_groups=8, topk_groups=8,
                      routed_scaling_factor=2.5, capacity_factor=None, ep_size=8, num_tokens=4096),
        question_ids=("communication-memory-node-limited-routing", "expert-parallelism-node-limited-routing",
                      "routing-group-limited-example")),
    Experiment(
        "expert-choice-coverage",
        {"en": "Expert choice drops tokens", "zh": "Expert choice 丢的是 token"},
        {"en": "Expert choice never drops a slot: so where did the drops go?",
         "zh": "Expert choice 从不丢槽位：那么丢弃去了哪里？"},
        {"en": "Switch to expert choice and raise the capacity factor until every token gets an expert.",
         "zh": "换成 expert choice，并提高容量因子直到每个 token 都有专家。"},
        "simulate", check_expert_choice,
        settings=dict(router="topk_softmax", top_k=2, num_experts=8, capacity_factor=1.0, skew="clustered"),
        question_ids=("routing-expert-choice", "routing-token-choice-vs-expert-choice",
                      "capacity-expert-choice-capacity")),
    Experiment(
        "dropless-vs-padding",
        {"en": "Dropless or padded", "zh": "Dropless 还是填充"},
        {"en": "A hot expert overflows its buffer: what would a fixed capacity need, and what does dropless do instead?",
         "zh": "热点专家溢出了缓冲区：固定容量需要多大？dropless 又是怎么做的？"},
        {"en": "Keep every slot of the hot-expert input.", "zh": "在热点专家输入下保留所有槽位。"},
        "simulate", check_dropless,
        settings=dict(skew="hot-expert", hot_bias=3.0, capacity_factor=1.25, num_experts=8, top_k=2),
        question_ids=("capacity-dropless-moe", "inference-capacity-at-inference")),
    Experiment(
        "hot-expert-balance",
        {"en": "Fewest steps to balance", "zh": "最少步数达到均衡"},
        {"en": "Make expert 0 hot and bring the load CV under 0.2 with each balance method: which needs the fewest "
               "steps?",
         "zh": "让专家 0 成为热点，再用每种均衡方法把负载 CV 降到 0.2 以下：哪种方法需要的步数最少？"},
        {"en": "Both the aux loss and the aux-loss-free bias keep the load CV under 0.2 (10-step mean).",
         "zh": "辅助损失和无辅助损失偏置都让负载 CV（10 步均值）稳定低于 0.2。"},
        "train", check_hot_expert_balance,
        settings=dict(skew="hot-expert", hot_bias=3.0),
        train=dict(balances=["none", "aux", "bias"], hot_bias=2.0, aux_coef=1e-2, steps=200),
        question_ids=("load-balancing-router-collapse", "load-balancing-coefficient-trade-off",
                      "load-balancing-aux-free-bias-update")),
    Experiment(
        "z-loss-is-not-balance",
        {"en": "What the z-loss does", "zh": "z-loss 的作用"},
        {"en": "Add the router z-loss: does it shrink the logits, and does it balance the load?",
         "zh": "加上路由 z-loss：它会让 logits 变小吗？会均衡负载吗？"},
        {"en": "Train with none and z: the z-loss value ends under half of the unregularised run's.",
         "zh": "分别用 none 和 z 训练：z-loss 的最终值低于不加正则时的一半。"},
        "train", check_z_loss,
        train=dict(balances=["none"], hot_bias=2.0, steps=200),
        question_ids=("load-balancing-z-loss-is-not-balance", "architectures-st-moe-z-loss",
                      "training-z-loss-on-probs-code")),
    Experiment(
        "bias-balancing",
        {"en": "Balancing without a gradient", "zh": "不靠梯度的均衡"},
        {"en": "DeepSeek-V3's bias only selects experts and gets no gradient: can it still balance a hot expert?",
         "zh": "DeepSeek-V3 的偏置只用于选择专家、没有梯度：它还能均衡热点专家吗？"},
        {"en": "Add the bias method and train until its load CV (mean of the last 20 steps) is under 0.25.",
         "zh": "加入 bias 方法并训练，直到其负载 CV（最后 20 步均值）低于 0.25。"},
        "train", check_bias_balancing,
        train=dict(balances=["none"], hot_bias=2.0, steps=200),
        question_ids=("load-balancing-aux-free-bias-update", "architectures-deepseek-v3-bias",
                      "routing-deepseek-v3-sigmoid-bias")),
    Experiment(
        "capacity-is-not-balancing",
        {"en": "Capacity is not balancing", "zh": "容量限制不等于均衡"},
        {"en": "Does a capacity limit teach the router to spread tokens?", "zh": "容量限制会教路由把 token 分散开吗？"},
        {"en": "Train with capacity and the aux loss: the aux loss ends with under half the capacity run's load CV.",
         "zh": "分别用 capacity 和辅助损失训练：辅助损失的负载 CV 最终不到 capacity 的一半。"},
        "train", check_capacity_is_not_balancing,
        train=dict(balances=["capacity"], hot_bias=2.0, aux_coef=1e-1, steps=200),
        question_ids=("load-balancing-seed000-methods-compared", "load-balancing-seed003-methods")),
)}


def experiments_for_question(question_id: str) -> list[Experiment]:
    """The experiments linked to a bank question, in table order."""
    return [experiment for experiment in EXPERIMENTS.values() if question_id in experiment.question_ids]


def run_check(experiment: Experiment, simulation=None, training: Mapping | None = None) -> CheckResult | None:
    """The experiment's check on the live result of its kind; None when that result does not exist yet (no routing, or
    no training step)."""
    result = simulation if experiment.kind == "simulate" else training
    if not result:
        return None
    if experiment.kind == "train" and not any(_get(run, "load_cv") for run in result.values()):
        return None  # a training run that has not taken a step yet
    return experiment.check(result)
