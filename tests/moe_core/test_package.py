"""The moe_core package: every public name resolves from `moe_core` (its names load on first use)."""
import pytest

import moe_core


def test_every_public_moe_core_name_resolves():
    assert len(moe_core.__all__) > 50 and "MoELayer" in moe_core.__all__ and "checks" in moe_core.__all__
    missing = [name for name in moe_core.__all__ if getattr(moe_core, name, None) is None]
    assert missing == []
    assert set(moe_core.__all__) <= set(dir(moe_core))
    assert moe_core.MoELayer.__module__ == "moe_core.layer"


def test_submodules_are_attributes_and_an_unknown_name_is_an_attribute_error():
    assert moe_core.layer.MoELayer is moe_core.MoELayer and moe_core.checks.check_int is not None
    with pytest.raises(AttributeError, match="module 'moe_core' has no attribute 'MoeLayer'"):
        moe_core.MoeLayer  # noqa: B018 - the lookup is the test
