"""ansible_compat's kept Jinja templates (cache_template_compiles, warm_templates,
play_templates) and the throttle rule of queue_without_busy_wait, in this process against
ansible-core itself. The real runs are tests/integration/test_controller_shims.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from ansible._internal._templating._engine import TemplateEngine
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import trust_as_template

from ansible_collections.confvault.network.plugins.plugin_utils import ansible_compat


@pytest.fixture
def cache() -> Iterator[dict[tuple[Any, ...], Any]]:
    """The shim in place for one test, then ansible-core's own method back."""
    init_plugin_loader()
    original = TemplateEngine._compile_template
    assert ansible_compat.cache_template_compiles()
    assert ansible_compat.cache_template_compiles()  # a second call keeps the first
    patched = TemplateEngine._compile_template
    assert patched.__wrapped__ is original  # type: ignore[attr-defined]
    yield patched.confvault_cache  # type: ignore[attr-defined]
    TemplateEngine._compile_template = original


def _loader(basedir: Path) -> DataLoader:
    loader = DataLoader()
    loader.set_basedir(str(basedir))
    return loader


def _render(loader: DataLoader, text: str, **variables: Any) -> Any:
    return TemplateEngine(loader=loader, variables=variables).template(trust_as_template(text))


def test_one_compilation_serves_every_engine_with_its_own_variables(cache: dict, tmp_path: Path) -> None:
    loader = _loader(tmp_path)
    text = "{{ who | default('nobody') | upper }}-{{ n | int + 1 }}"
    assert _render(loader, text, who="a", n="1") == "A-2"
    assert len(cache) == 1
    compiled = next(iter(cache.values()))
    assert _render(loader, text, who="b", n=41) == "B-42"
    assert _render(loader, text, n=0) == "NOBODY-1"
    assert len(cache) == 1 and next(iter(cache.values())) is compiled  # compiled once, rendered three times


def test_another_directory_or_text_is_another_entry(cache: dict, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _render(_loader(tmp_path / "a"), "{{ x }}", x=1) == 1
    assert _render(_loader(tmp_path / "b"), "{{ x }}", x=2) == 2
    assert _render(_loader(tmp_path / "b"), "{{ x }}!", x=2) == "2!"
    assert sorted(str(key[1]) for key in cache) == ["{{ x }}", "{{ x }}", "{{ x }}!"]
    assert {key[3] for key in cache} == {str(tmp_path / "a"), str(tmp_path / "b")}


def test_a_template_that_does_not_compile_is_never_kept(cache: dict, tmp_path: Path) -> None:
    loader = _loader(tmp_path)
    for _use in range(2):  # each use reports it again, as without the cache
        with pytest.raises(AnsibleError, match="Syntax error"):
            _render(loader, "{{ x | }}", x=1)
    assert cache == {}


def test_long_templates_and_source_debugging_bypass_the_cache(
    cache: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = _loader(tmp_path)
    long = "{{ x }}" + " " * ansible_compat.TEMPLATE_CACHE_MAX_CHARS
    assert _render(loader, long, x=1).startswith("1")
    from ansible._internal._templating._jinja_bits import AnsibleEnvironment

    monkeypatch.setattr(AnsibleEnvironment, "_debuggable_template_source", True)
    monkeypatch.setattr(AnsibleEnvironment, "_debuggable_template_source_path", tmp_path / "debug")
    assert _render(loader, "{{ y }}", y=2) == 2
    assert cache == {}


def test_the_cache_stays_bounded(cache: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ansible_compat, "TEMPLATE_CACHE_SIZE", 3)  # read at each call
    loader = _loader(tmp_path)
    for i in range(7):
        assert _render(loader, f"{{{{ x + {i} }}}}", x=1) == 1 + i
        assert len(cache) <= 3


def test_warming_compiles_without_rendering(cache: dict, tmp_path: Path) -> None:
    loader = _loader(tmp_path)
    # a lookup that would fail if it ran, an undefined variable, one that does not compile
    texts = ["{{ lookup('file', '/nonexistent/x') }}", "{{ undefined_here }}", "{{ x | }}"]
    assert ansible_compat.warm_templates(loader, texts) == 2
    assert sorted(str(key[1]) for key in cache) == sorted(texts[:2])
    assert _render(loader, "{{ undefined_here | default('later') }}") == "later"


def test_play_templates_collects_what_each_host_templates() -> None:
    role = SimpleNamespace(
        _role_vars={"ansible_connection": "{{ 'a' if t else 'b' }}", "plain": "x"},
        _default_vars={"confvault_transport": "network_cli", "late": "{% if y %}1{% endif %}"},
    )
    task = SimpleNamespace(throttle="{{ confvault_throttle | int }}", vars={"v": "{{ w }}", "n": 3}, _role=role)
    other = SimpleNamespace(throttle=0, vars={}, _role=role)  # the same role once
    block = SimpleNamespace(block=[task, SimpleNamespace(block=[other], rescue=None, always=[])], rescue=[], always=[])
    play = SimpleNamespace(vars={"p": "{{ q }}", "literal": "no template"}, tasks=[block])
    assert ansible_compat.play_templates(play) == [
        "{{ q }}",
        "{{ confvault_throttle | int }}",
        "{{ w }}",
        "{{ 'a' if t else 'b' }}",
        "{% if y %}1{% endif %}",
    ]
    assert ansible_compat.play_templates(SimpleNamespace(vars=None, tasks=7)) == []  # not a play: nothing


@pytest.mark.parametrize(
    ("throttle", "run_once", "expected"),
    [
        (0, False, 5),
        (2, False, 2),
        ("2", False, 2),
        ("{{ at_once }}", False, 3),
        (9, False, 5),  # above the forks: all of them
        (2, True, 5),  # run_once ignores throttle
        ("{{ nope | int }}x", False, 5),  # not a number: _queue_task reports it, not this
    ],
)
def test_the_slots_a_task_may_use(throttle: Any, run_once: bool, expected: int, tmp_path: Path) -> None:
    init_plugin_loader()
    strategy = SimpleNamespace(_loader=_loader(tmp_path), ALLOW_BASE_THROTTLING=True)
    task = SimpleNamespace(
        throttle=trust_as_template(throttle) if isinstance(throttle, str) else throttle, run_once=run_once
    )
    assert ansible_compat._usable_workers(strategy, task, {"at_once": 3}, 5) == expected
    strategy.ALLOW_BASE_THROTTLING = False  # free-style strategies: every slot
    assert ansible_compat._usable_workers(strategy, task, {"at_once": 3}, 5) == 5
