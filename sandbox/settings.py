"""The sandbox page's widget state <-> simulate / train / EP settings: keys (= URL parameters), defaults, presets."""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping

from moe_core import DROP_POLICIES, ROUTERS

from .presets import PRESETS, Preset
from .simulate import SKEWS, simulate
from .train import BALANCE_METHODS, train


def keyword_defaults(function, names=None, skip=()) -> dict:
    """{name: default} of `function`'s parameters `names` (all by default) but `skip`: the defaults stay written once,
    in the signature."""
    parameters = inspect.signature(function).parameters
    return {name: parameters[name].default for name in (names or parameters) if name not in skip}


# The page's defaults are simulate()'s and train()'s own; a preset overrides some of them. The page sets every
# simulate() argument but the cluster count and the selection bias.
DEFAULT_SETTINGS = keyword_defaults(simulate, skip=("num_clusters", "expert_bias"))
DEFAULT_TRAIN = {"balances": ["none", "aux", "bias"],
                 **keyword_defaults(train, ("steps", "zipf_exponent", "hot_bias", "aux_coef"))}


def simulate_settings(preset: Preset) -> dict:
    """Every simulate() setting of a preset: the defaults with the preset's overrides."""
    return {**DEFAULT_SETTINGS, **preset.settings}


def train_settings(preset: Preset) -> dict:
    """Every training setting of a preset: the defaults with the preset's overrides."""
    return {**DEFAULT_TRAIN, **preset.train}

# Widget keys are the URL's query parameters (bind="query-params"); option names, not translated labels, go into the
# URL, so a link works in any language.
A_KEYS = {"sb.tokens": "num_tokens", "sb.experts": "num_experts", "sb.top_k": "top_k", "sb.router": "router",
          "sb.cf": "capacity_factor", "sb.drop": "drop_policy", "sb.ep": "ep_size", "sb.skew": "skew",
          "sb.seed": "seed", "sb.zipf": "zipf_exponent", "sb.hot": "hot_bias", "sb.d_model": "d_model",
          "sb.scale": "router_scale", "sb.groups": "num_groups", "sb.topk_groups": "topk_groups",
          "sb.rsf": "routed_scaling_factor"}
B_PREFIX = "sb.b."  # setting B's widgets: the A key with this prefix (same default)
B_KEYS = {"sb.b.experts": "num_experts", "sb.b.top_k": "top_k", "sb.b.router": "router", "sb.b.cf": "capacity_factor",
          "sb.b.drop": "drop_policy", "sb.b.ep": "ep_size"}
TRAIN_KEYS = {"sb.balances": "balances", "sb.steps": "steps", "sb.train_zipf": "zipf_exponent",
              "sb.train_hot": "hot_bias", "sb.aux_coef": "aux_coef"}
FLOAT_SETTINGS = ("zipf_exponent", "hot_bias", "router_scale", "routed_scaling_factor")
DROPLESS_CAPACITY_FACTOR = 1.25  # what the (disabled) capacity field shows while dropless is on

TOKEN_CHOICES = [256, 1024, 4096, 16384]
ROUTER_NAMES = sorted(ROUTERS)
STEP_CHOICES = [50, 100, 200, 300, 500]
AUX_COEF_CHOICES = [1e-3, 1e-2, 1e-1, 1.0]
EP_TOKENS = [64, 128, 256, 512]      # tokens per rank
EP_TOKENS_DEFAULT = 128
EP_RAN_PARAM = "sb.ep_ran"  # in the URL once the expert-parallel run has results: opening the link runs it again
STEP_BUTTON_STEPS = 10      # live training: steps of each method per click on Step


def widget_values(settings: Mapping, train: Mapping) -> dict:
    """Session-state values of every widget for simulate / train settings (capacity None -> the dropless toggle)."""
    values = {key: settings[name] for key, name in A_KEYS.items()}
    dropless = settings["capacity_factor"] is None
    values["sb.dropless"] = dropless
    values["sb.cf"] = DROPLESS_CAPACITY_FACTOR if dropless else settings["capacity_factor"]
    values.update({key: train[name] for key, name in TRAIN_KEYS.items()})
    return values


# Every widget's default is the default setting: a bound widget leaves the URL when it holds its default, so the URL
# carries exactly what differs from the defaults.
DEFAULTS = widget_values(DEFAULT_SETTINGS, DEFAULT_TRAIN)


def default(key: str):
    """The default value of a widget; setting B's widgets share setting A's defaults."""
    return DEFAULTS[key.replace(B_PREFIX, "sb.")]


def default_index(options: list, key: str) -> int:
    """The position of a widget's default among its options (selectbox index)."""
    return options.index(default(key))


def preset_values(preset_id: str, skip: Iterable[str] = ()) -> dict:
    """The widget values a preset sets, except the keys in `skip` (those the URL already gives)."""
    preset = PRESETS[preset_id]
    values = widget_values(simulate_settings(preset), train_settings(preset))
    skip = set(skip)
    return {key: value for key, value in values.items() if key not in skip}


def url_preset_step(url_preset: str | None, applied: str | None) -> str | None:
    """What ?preset= asks for: "unknown" (no such preset), "apply" (not applied yet in this session) or None.

    A preset applies once per session; settings the URL gives as well win, so a shared, tweaked view reproduces.
    """
    if not url_preset:
        return None
    if url_preset not in PRESETS:
        return "unknown"
    return "apply" if applied != url_preset else None


def settings_from_state(state: Mapping, b_side: bool = False) -> dict:
    """simulate() arguments from the widget state; b_side: setting B (A's values for what B does not set).

    A widget that is not drawn (the Zipf slider of uniform input) has no state: its default stands in.
    """
    settings = {name: state.get(key, DEFAULTS[key]) for key, name in A_KEYS.items()}
    prefix = B_PREFIX if b_side else "sb."
    if b_side:
        settings.update({name: state.get(key, default(key)) for key, name in B_KEYS.items()})
    dropless = state.get(prefix + "dropless", DEFAULTS["sb.dropless"])
    settings["capacity_factor"] = None if dropless else float(state.get(prefix + "cf", DEFAULTS["sb.cf"]))
    for name in FLOAT_SETTINGS:
        settings[name] = float(settings[name])
    return settings


def train_settings_from_state(state: Mapping, seed: int) -> tuple[list[str], dict]:
    """(balance methods, the other train.compare arguments) from the training widgets; seed is setting A's."""
    balances = list(state.get("sb.balances", DEFAULTS["sb.balances"]))
    kwargs = dict(steps=state.get("sb.steps", DEFAULTS["sb.steps"]), seed=int(seed),
                  zipf_exponent=float(state.get("sb.train_zipf", DEFAULTS["sb.train_zipf"])),
                  hot_bias=float(state.get("sb.train_hot", DEFAULTS["sb.train_hot"])),
                  aux_coef=float(state.get("sb.aux_coef", DEFAULTS["sb.aux_coef"])))
    return balances, kwargs


# Widgets whose options are shown translated. A widget bound to the URL would write the translated label there (a
# link would not open in the other language), so the page writes and reads these by option name itself.
OPTION_KEYS = {"sb.router": ROUTER_NAMES, "sb.b.router": ROUTER_NAMES, "sb.drop": list(DROP_POLICIES),
               "sb.b.drop": list(DROP_POLICIES), "sb.skew": list(SKEWS), "sb.balances": list(BALANCE_METHODS)}
MULTI_OPTION_KEYS = {"sb.balances"}  # a list of names: ?sb.balances=none&sb.balances=aux ("" for none chosen)


def options_from_url(get_all: Callable[[str], list[str]]) -> dict:
    """{widget key: value} of the option widgets the URL names (get_all(key) -> its values); unknown names are
    ignored, as a bound widget ignores them."""
    values = {}
    for key, options in OPTION_KEYS.items():
        given = get_all(key)
        if key in MULTI_OPTION_KEYS:
            if given:
                values[key] = [name for name in given if name in options]
        elif given and given[-1] in options:
            values[key] = given[-1]
    return values


def option_params(state: Mapping) -> dict[str, list[str] | None]:
    """{widget key: its URL values} of the option widgets that have state; None where the value is the default
    (the parameter leaves the URL, as a bound widget's does)."""
    params = {}
    for key in OPTION_KEYS:
        if key in state:
            value = state[key]
            if value == default(key):
                params[key] = None
            else:
                params[key] = (list(value) or [""]) if key in MULTI_OPTION_KEYS else [value]
    return params


def b_copy_of_a(state: Mapping, skip: Iterable[str] = ()) -> dict:
    """Setting B's widget values copied from setting A's (A's value, or its default where A's widget has no state),
    except the B keys in `skip` (those the URL already gives): B starts as A and the user changes what differs."""
    skip = set(skip)
    keys = [*B_KEYS, B_PREFIX + "dropless"]
    return {key: state.get(a_key, DEFAULTS[a_key]) for key in keys if key not in skip
            for a_key in [key.replace(B_PREFIX, "sb.")]}


def preset_changes(state: Mapping, preset_id: str | None) -> list[str]:
    """The widget keys whose value differs from what the preset set (widgets without state are not drawn and do not
    count); [] when nothing changed or no preset is picked."""
    if preset_id not in PRESETS:
        return []
    return [key for key, value in preset_values(preset_id).items() if key in state and state[key] != value]


# Why a control does nothing in the current setting: setting name -> the reason's text key (sandbox.disabled.<key>).
GROUP_SETTINGS = ("num_groups", "topk_groups", "routed_scaling_factor")


def disabled_reasons(router: str, dropless: bool) -> dict[str, str]:
    """{setting: reason key} of the layer settings that have no effect with this router and capacity mode."""
    reasons = {}
    if dropless:
        reasons.update(capacity_factor="dropless", drop_policy="dropless")
    elif router == "expert_choice":
        reasons["drop_policy"] = "expert_choice"
    if router != "sigmoid_group_limited":
        reasons.update(dict.fromkeys(GROUP_SETTINGS, "group_router"))
    return reasons


def ep_run_settings(settings: Mapping) -> dict:
    """run_expert_parallel's layer arguments from simulate() settings: the same router scale and, for the hot-expert
    input only, the same logit bias on expert 0 (the EP run's tokens are N(0, I) on every skew)."""
    return dict(num_experts=settings["num_experts"], top_k=settings["top_k"], router=settings["router"],
                capacity_factor=settings["capacity_factor"], drop_policy=settings["drop_policy"],
                seed=settings["seed"], hot_bias=settings["hot_bias"] if settings["skew"] == "hot-expert" else 0.0,
                router_scale=settings["router_scale"])
