"""The experiments repository: starts and passes per profile, first times kept, profiles apart, bad ids named."""
from datetime import datetime, timedelta, timezone

import pytest

from questions.store import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_start_then_pass_keeps_the_first_times(tmp_path):
    store = Store(tmp_path / "db")
    assert store.experiments.progress("alice") == {}
    store.experiments.start("alice", "capacity-without-drops", NOW)
    store.experiments.start("alice", "capacity-without-drops", NOW + timedelta(hours=1))  # reopened: no change
    assert store.experiments.progress("alice") == {
        "capacity-without-drops": {"started_at": "2026-03-01T12:00:00.000000+00:00", "passed_at": None}}
    store.experiments.mark_passed("alice", "capacity-without-drops", NOW + timedelta(hours=2))
    store.experiments.mark_passed("alice", "capacity-without-drops", NOW + timedelta(hours=3))  # the first pass counts
    store.experiments.start("alice", "capacity-without-drops", NOW + timedelta(hours=4))       # a pass is never lost
    entry = store.experiments.progress("alice")["capacity-without-drops"]
    assert entry == {"started_at": "2026-03-01T12:00:00.000000+00:00",
                     "passed_at": "2026-03-01T14:00:00.000000+00:00"}


def test_a_pass_without_a_start_counts_as_both(tmp_path):
    store = Store(tmp_path / "db")
    store.experiments.mark_passed("bob", "z-loss-is-not-balance", NOW)
    entry = store.experiments.progress("bob")["z-loss-is-not-balance"]
    assert entry["started_at"] == entry["passed_at"] == "2026-03-01T12:00:00.000000+00:00"


def test_profiles_keep_their_own_progress_and_deleting_one_deletes_it(tmp_path):
    store = Store(tmp_path / "db")
    store.experiments.mark_passed("alice", "bias-balancing", NOW)
    store.experiments.start("bob", "bias-balancing", NOW)
    assert store.experiments.progress("bob")["bias-balancing"]["passed_at"] is None
    assert store.profiles.delete("alice")
    assert store.experiments.progress("alice") == {}
    assert list(store.experiments.progress("bob")) == ["bias-balancing"]


def test_progress_survives_reopening_the_database(tmp_path):
    Store(tmp_path / "db").experiments.mark_passed("alice", "dropless-vs-padding", NOW)
    assert "dropless-vs-padding" in Store(tmp_path / "db").experiments.progress("alice")


@pytest.mark.parametrize("bad", ["", None, 3])
def test_bad_experiment_ids_are_named(tmp_path, bad):
    with pytest.raises(ValueError, match="experiment_id must be a non-empty string"):
        Store(tmp_path / "db").experiments.start("alice", bad)
