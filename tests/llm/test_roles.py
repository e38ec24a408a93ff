"""Each role's endpoint: what the role sets, else its environment variables, else the main endpoint;
no URL anywhere is the offline backend; the key is read from the role's variable when set."""

from __future__ import annotations

import pytest

from workflowbench.llm import LLMConfig
from workflowbench.llm.config import KEY_VARIABLE
from workflowbench.llm.roles import ROLES, Role, check_roles, endpoint, parse_role_settings, variable

MAIN = LLMConfig("http://main.example/v1", "general", concurrency=8, temperature=0.5)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ROLES:
        for field in ("base_url", "model", "api_key"):
            monkeypatch.delenv(variable(role, field), raising=False)


def test_a_role_defaults_to_the_main_endpoint_and_no_endpoint_is_offline() -> None:
    assert endpoint("expand", MAIN) == MAIN
    assert endpoint("annotate", None) is None
    assert endpoint("judge", None, Role(model="m")) is None  # a model alone is no endpoint


def test_a_role_sets_its_own_url_model_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    got = endpoint("annotate", MAIN, Role(base_url="http://127.0.0.1:8000/v1/", model="ft", options={"concurrency": 2}))
    assert got is not None
    assert (got.base_url, got.model, got.concurrency, got.temperature) == ("http://127.0.0.1:8000/v1", "ft", 2, 0.5)
    assert got.key_variable == KEY_VARIABLE
    monkeypatch.setenv(variable("annotate", "base_url"), "http://env.example/v1")
    monkeypatch.setenv(variable("annotate", "model"), "env-model")
    monkeypatch.setenv(variable("annotate", "api_key"), "sk-annotate")
    from_env = endpoint("annotate", None)
    assert from_env is not None and (from_env.base_url, from_env.model) == ("http://env.example/v1", "env-model")
    assert from_env.key_variable == "WORKFLOWBENCH_ANNOTATE_API_KEY"
    given = endpoint("annotate", MAIN, Role(model="given"))  # what the role sets wins over the environment
    assert given is not None and (given.base_url, given.model) == ("http://env.example/v1", "given")
    assert "sk-annotate" not in given.model_dump_json()


def test_role_settings_parse_and_typos_fail() -> None:
    roles = parse_role_settings(["annotate.base_url=http://h/v1", "annotate.model=ft", "annotate.concurrency=4",
                                 "judge.temperature=0"])
    assert roles == {"annotate": Role(base_url="http://h/v1", model="ft", options={"concurrency": 4}),
                     "judge": Role(options={"temperature": 0})}
    with pytest.raises(ValueError, match=r"ROLE\.FIELD=VALUE"):
        parse_role_settings(["annotate=ft"])
    with pytest.raises(ValueError, match="unknown roles"):
        parse_role_settings(["annotator.model=ft"])
    with pytest.raises(ValueError, match="role judge"):
        check_roles({"judge": Role(options={"concurrency": 0})})
    with pytest.raises(ValueError, match="unknown role"):
        endpoint("writer", MAIN)
