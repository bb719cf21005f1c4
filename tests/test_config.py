import json

import pytest

from rag.config import Settings, load_settings
from rag.errors import ConfigError


def test_defaults():
    s = Settings()
    assert s.corpus_dir == "seeds" and s.index_dir == "index" and s.mode == "extractive"


def test_precedence_toml_env_flags(tmp_path):
    toml = tmp_path / "rag.toml"
    toml.write_text('[rag]\ntop_k = 7\nchunk_tokens = 300\ncorpus_dir = "from-toml"\n')
    s = load_settings(toml, env={"RAG_TOP_K": "9", "RAG_DROP_UNSUPPORTED": "true"}, corpus_dir=None, index_dir="flag")
    assert s.chunk_tokens == 300  # toml
    assert s.top_k == 9  # env beats toml
    assert s.drop_unsupported is True
    assert s.corpus_dir == "from-toml"  # None flag does not override
    assert s.index_dir == "flag"


def test_unknown_toml_key_is_refused(tmp_path):
    toml = tmp_path / "rag.toml"
    toml.write_text("top_kk = 3\n")
    with pytest.raises(ConfigError, match="unknown settings"):
        load_settings(toml, env={})


@pytest.mark.parametrize("kwargs", [{"mode": "magic"}, {"chunk_tokens": 10}, {"top_k": 0}, {"llm_fallback": "x"}])
def test_invalid_values(kwargs):
    with pytest.raises(ConfigError):
        Settings(**kwargs)


def test_bad_env_type():
    with pytest.raises(ConfigError, match="top_k"):
        load_settings(env={"RAG_TOP_K": "many"})


def test_replace_ignores_none():
    assert Settings().replace(top_k=None, mode="llm").mode == "llm"


def test_public_settings_never_show_the_api_key():
    shown = Settings(llm_api_key="sk-secret-123", llm_model="m").public()
    assert "llm_api_key" not in shown and "sk-secret-123" not in json.dumps(shown) and shown["llm_model"] == "m"
    assert set(shown) | {"llm_api_key"} == set(Settings.__dataclass_fields__)  # nothing else is left out


def test_public_settings_hide_credentials_inside_urls():
    shown = Settings(llm_base_url="http://user:secret@10.0.0.5:8080/v1", chroma_url="https://a:b@c:8000").public()
    assert shown["llm_base_url"] == "http://10.0.0.5:8080/v1" and shown["chroma_url"] == "https://c:8000"
    assert "secret" not in json.dumps(shown)
