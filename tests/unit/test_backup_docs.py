"""The backup action's argument spec and the module's DOCUMENTATION say the same thing:
ansible-test's validate-modules cannot compare them (the module file is a doc stub; the
action plugin holds the spec), so this does."""

from __future__ import annotations

import yaml

from ansible_collections.confvault.network.plugins.action import backup as action
from ansible_collections.confvault.network.plugins.modules import backup as module


def test_every_argument_is_documented_with_its_type_and_default() -> None:
    options = yaml.safe_load(module.DOCUMENTATION)["options"]
    assert sorted(options) == sorted(action.ARGUMENT_SPEC)
    for name, spec in action.ARGUMENT_SPEC.items():
        doc = options[name]
        assert doc.get("type") == spec.get("type"), name
        assert doc.get("default") == spec.get("default"), name
        assert doc.get("choices") == spec.get("choices"), name
