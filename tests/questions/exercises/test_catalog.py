"""Honesty of every exercise: the reference (moe_core) and a correct solution written without it (solutions/<slug>/
alternative.py) pass its tests; the starter, the seed's code and plausible wrong answers (solutions/<slug>/wrong.yaml,
each the alternative with one bug) fail them. (Links from exercises to bank questions and sandbox presets:
tests/questions/bank/test_bank_links.py.)"""
import ast
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from questions.exercises import exercises, get_exercise, run
from questions.exercises.catalog import EXERCISES_DIR, ExerciseError, load_exercise, reference_sources

REQUIRED = {
    "expert-groups": ["create_expert_groups"], "topk-router": ["topk_softmax"], "noisy-topk": ["noisy_topk_gating"],
    "switch-aux-loss": ["switch_aux_loss"], "z-loss": ["z_loss"], "capacity-dispatch": ["dispatch_with_capacity"],
    "expert-choice": ["expert_choice_routing"], "permute-unpermute": ["permute", "unpermute"],
    "fix-simple-moe": ["SimpleMoE"], "aux-free-bias": ["update_expert_bias"], "a2a-splits": ["all_to_all_splits"],
    "group-limited-routing": ["group_limited_topk"], "moe-layer-forward": ["moe_forward"],
    "ep-dispatch-combine": ["all_to_all", "ep_moe_forward"], "sequence-aux-loss": ["sequence_aux_loss"],
    "capacity-probs": ["drop_by_probs"], "shared-experts": ["moe_with_shared_experts"],
    "sinkhorn-routing": ["sinkhorn_balance", "sinkhorn_route"], "mixtral-checkpoint": ["grouped_from_mixtral"],
    "model-size": ["model_size"],
}
SLUGS = [e.slug for e in exercises()]
SOLUTIONS_DIR = Path(__file__).resolve().parent / "solutions"
# the notes the bank was built from are never named to a user: "seed 001", "种子", their file names
SOURCE_NOTE = re.compile(r"\bseeds?\b|种子|\d{3}_[0-9a-f]{16}", re.IGNORECASE)
SOURCE_NOTE_IN_CODE = re.compile(r"\bseeds? \d{3}|\bseed's|种子|\d{3}_[0-9a-f]{16}", re.IGNORECASE)


def alternative(slug: str) -> str:
    """A correct solution written without moe_core (user code runs without it)."""
    return (SOLUTIONS_DIR / slug / "alternative.py").read_text(encoding="utf-8")


def wrong_variants(slug: str) -> list[dict]:
    """The plausible wrong answers of an exercise: name, what is wrong, and the replacements that break the
    alternative solution (each `old` must occur exactly once, so a stale entry cannot silently do nothing)."""
    path = SOLUTIONS_DIR / slug / "wrong.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []


def wrong_code(slug: str, variant: dict) -> str:
    code = alternative(slug)
    for step in variant["replace"]:
        assert code.count(step["old"]) == 1, f"{slug}/{variant['name']}: {step['old']!r} must occur once"
        code = code.replace(step["old"], step["new"])
    return code


WRONG_VARIANTS = [(slug, variant["name"]) for slug in SLUGS for variant in wrong_variants(slug)]


@pytest.fixture(scope="module")
def runs():
    """Every (exercise, reference / starter / seed / alternative / wrong variant) run through the real runner, two at a
    time (2 cores)."""
    jobs = []
    for exercise in exercises():
        jobs.append((exercise.slug, "reference", exercise.reference, True))
        jobs.append((exercise.slug, "starter", exercise.starter, False))
        if exercise.seed_buggy is not None:
            jobs.append((exercise.slug, "seed", exercise.seed_buggy, False))
        jobs.append((exercise.slug, "alternative", alternative(exercise.slug), False))
        jobs += [(exercise.slug, variant["name"], wrong_code(exercise.slug, variant), False)
                 for variant in wrong_variants(exercise.slug)]

    def run_job(job):
        slug, kind, code, allow_moe_core = job
        return (slug, kind), run(slug, code, allow_moe_core=allow_moe_core)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run_job, jobs))


def _failures(result):
    return {t["name"]: t["message"] for t in result["tests"] if t["status"] != "pass"}


def _defined_names(code: str) -> set[str]:
    """Names a module defines at top level: functions, classes, imported names and assignments."""
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


def test_required_exercises_exist_with_their_functions():
    assert len(SLUGS) >= 20
    for slug, names in REQUIRED.items():
        assert list(get_exercise(slug).functions) == names, slug


@pytest.mark.parametrize("slug", SLUGS)
def test_exercise_metadata_is_complete(slug):
    exercise = get_exercise(slug)
    assert exercise.title["en"] and exercise.title["zh"] and exercise.prompt["en"] and exercise.prompt["zh"]
    assert len(exercise.hints) >= 2
    assert all(hint["en"].strip() and hint["zh"].strip() for hint in exercise.hints)
    starter, reference = _defined_names(exercise.starter), _defined_names(exercise.reference)
    for name in exercise.functions:
        assert name in starter, f"{slug}: the starter must define {name}"
        assert name in reference, f"{slug}: the reference must define {name}"
    assert [title for title, _ in reference_sources(exercise)][1:], f"{slug}: the reference must use moe_core"


@pytest.mark.parametrize("slug", SLUGS)
def test_reference_passes_every_test(runs, slug):
    result = runs[(slug, "reference")]
    assert result["status"] == "pass", (result["verdict"], result["message"], _failures(result))
    assert len(result["tests"]) >= 5, f"{slug}: too few tests to be a strong check"


@pytest.mark.parametrize("slug", SLUGS)
def test_starter_fails(runs, slug):
    result = runs[(slug, "starter")]
    assert result["status"] == "fail", (result["verdict"], result["message"])
    assert all(t["status"] != "pass" for t in result["tests"][:1]), "the first test must fail on the starter"


@pytest.mark.parametrize("slug", [e.slug for e in exercises() if e.seed_buggy is not None])
def test_seed_code_fails_for_the_right_reason(runs, slug):
    exercise = get_exercise(slug)
    result = runs[(slug, "seed")]
    assert result["status"] == "fail", (result["verdict"], result["message"])
    failed = _failures(result)
    for name in exercise.seed_failures:
        assert name in failed, f"{slug}: the seed's code should fail {name} (the bug the exercise is about)"


@pytest.mark.parametrize("slug", SLUGS)
def test_alternative_solution_passes_every_test(runs, slug):
    result = runs[(slug, "alternative")]
    assert result["status"] == "pass", (result["verdict"], result["message"], _failures(result))


@pytest.mark.parametrize("slug", SLUGS)
def test_every_exercise_has_wrong_variants_that_say_what_is_wrong(slug):
    variants = wrong_variants(slug)
    assert len(variants) >= 2, f"{slug}: write at least two plausible wrong answers in solutions/{slug}/wrong.yaml"
    names = [variant["name"] for variant in variants]
    assert len(set(names)) == len(names) and "alternative" not in names
    for variant in variants:
        assert variant["wrong"].strip() and variant["replace"], f"{slug}/{variant['name']}: say what is wrong, and how"
        assert wrong_code(slug, variant) != alternative(slug)


def test_solutions_belong_to_exercises():
    assert {path.name for path in SOLUTIONS_DIR.iterdir()} == set(SLUGS)


@pytest.mark.parametrize("slug, name", WRONG_VARIANTS)
def test_wrong_variant_fails(runs, slug, name):
    result = runs[(slug, name)]
    assert result["status"] == "fail", (result["verdict"], result["message"])
    assert any(t["status"] != "pass" for t in result["tests"])


@pytest.mark.parametrize("slug", SLUGS)
def test_user_visible_texts_do_not_name_the_source_notes(slug):
    exercise = get_exercise(slug)
    texts = [*exercise.title.values(), *exercise.prompt.values(), *(text for hint in exercise.hints
                                                                     for text in hint.values())]
    for text in texts:
        assert not SOURCE_NOTE.search(text), f"{slug}: {SOURCE_NOTE.search(text).group()!r} in {text[:80]!r}"
    # the starter, the tests and the solution shown once solved (the adapter and the moe_core code it calls)
    for title, code in [("starter", exercise.starter), ("tests", exercise.tests), *reference_sources(exercise)]:
        found = SOURCE_NOTE_IN_CODE.search(code)
        assert not found, f"{slug}: {found.group()!r} in {title}"


def test_starter_of_fix_simple_moe_is_the_seed_code():
    exercise = get_exercise("fix-simple-moe")
    assert exercise.seed_buggy.strip() in exercise.starter


def test_missing_field_is_reported_with_the_file(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    for name in ("starter.py", "test_solution.py", "reference.py"):
        (folder / name).write_text("", encoding="utf-8")
    data = yaml.safe_load((EXERCISES_DIR / "z-loss" / "exercise.yaml").read_text(encoding="utf-8"))
    data["difficulty"] = 7
    (folder / "exercise.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"exercise\.yaml: difficulty"):
        load_exercise(folder)


def test_defined_names_are_top_level_definitions_only():
    code = "from moe_core import z_loss as zl\nimport torch\nclass A: pass\nb = 1\n\ndef f():\n    inner = 2\n# g\n"
    assert _defined_names(code) == {"zl", "A", "b", "f"}

