"""The `rag` command end to end as a subprocess: JSON contract, exit codes, messages without tracebacks."""

import json
import subprocess

import pytest

from tests.conftest import RAG, SEEDS, rag_env

pytestmark = pytest.mark.slow


def run(*args, timeout=180):
    return subprocess.run([*RAG, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=rag_env())


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli-index")
    result = run("index", "--corpus", SEEDS, "--index", path)
    assert result.returncode == 0, result.stderr
    assert "5 added" in result.stdout
    return path


def test_ask_json_contract(index_dir):
    result = run("ask", "What was Mike Pompeo planning?", "--corpus", SEEDS, "--index", index_dir, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"question", "answer", "abstained", "supported", "citations", "timings_ms"} <= set(data)
    assert data["supported"] and not data["abstained"]
    for c in data["citations"]:
        assert {"n", "doc_id", "title", "quote", "start", "end"} <= set(c)
        original = (SEEDS / f"{c['doc_id']}.txt").read_text(encoding="utf-8")
        assert original[c["start"]:c["end"]] == c["quote"]


def test_no_change_reindex_and_history(index_dir, tmp_path):
    result = run("index", "--corpus", SEEDS, "--index", index_dir)
    assert "0 added, 0 updated, 0 removed, 5 unchanged" in result.stdout
    history = tmp_path / "h.json"
    history.write_text(json.dumps([["user", "Who is Professor Yang Moo-jin?"],
                                   ["assistant", "Professor Yang Moo-jin of the University of North Korean Studies"]]))
    result = run("ask", "Which news agency did he talk to?", "--index", index_dir, "--history", history, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["citations"][0]["doc_id"] == "001_32944c5d53887f74"


@pytest.mark.parametrize("question", ["", "   ", "x" * 100_000])
def test_bad_questions_exit_2(index_dir, question):
    result = run("ask", question, "--index", index_dir)
    assert result.returncode == 2
    assert result.stderr.startswith("error: the question") and "Traceback" not in result.stderr


def test_missing_corpus_exit_2(tmp_path):
    result = run("ask", "Who is Xi?", "--corpus", tmp_path / "nope", "--index", tmp_path / "ix")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "nope" in result.stderr


def test_corrupt_manifest_exit_1_with_hint(tmp_path, index_dir):
    import shutil

    copy = tmp_path / "ix"
    shutil.copytree(index_dir, copy)
    (copy / "manifest.json").write_text("{not json")
    result = run("ask", "Who is Xi?", "--index", copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "rag index --rebuild" in result.stderr
    fixed = run("index", "--index", copy, "--rebuild")
    assert fixed.returncode == 0 and "5 added" in fixed.stdout


def test_bad_history_file(index_dir, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[[\"robot\", \"hi\"]]")
    result = run("ask", "And then?", "--index", index_dir, "--history", bad)
    assert result.returncode == 2 and "history" in result.stderr


def test_check_holds_any_cited_answer_to_the_checker(tmp_path):
    """`rag check`: exit 0 when every sentence is supported, 1 when one is not (with its reason), 2 on bad input."""
    doc = "004_9569ee472e9e94bc"
    text = (SEEDS / f"{doc}.txt").read_text(encoding="utf-8")
    end = text.index("relations.") + len("relations")
    cite = [{"n": 1, "doc_id": doc, "start": 0, "end": end}]
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"answer": "Xi said he hopes Beijing and Pyongyang will pursue stable development [1].",
                                "citations": cite}), encoding="utf-8")
    result = run("check", good, "--corpus", SEEDS, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdicts"][0]["reason"] == "ok"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"answer": "Xi said he does not hope Beijing and Pyongyang will pursue it [1].",
                               "citations": [{**cite[0], "doc_id": None, "source": f"{doc}.txt"}]}), encoding="utf-8")
    result = run("check", bad, "--corpus", SEEDS)
    assert result.returncode == 1 and "✗ [1] negated" in result.stdout
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"answer": "x [1]", "citations": [{**cite[0], "doc_id": "../../etc/passwd"}]}),
                       encoding="utf-8")
    result = run("check", outside, "--corpus", SEEDS)
    assert result.returncode == 2 and "no file" in result.stderr and "Traceback" not in result.stderr
    result = run("check", tmp_path / "missing.json", "--corpus", SEEDS)
    assert result.returncode == 2 and "cannot read" in result.stderr


def test_verify_an_exported_answer_against_the_corpus(tmp_path):
    """`rag ask --json` -> export -> `rag verify`: exit 0 on the untouched corpus; after one character of
    the cited file changes, exit 1 naming the citation; an unreadable export is exit 2."""
    import shutil

    from rag.export import conversation_json

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    result = run("ask", "What was Mike Pompeo planning?", "--corpus", corpus, "--index", tmp_path / "ix", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    cited = answer["citations"][0]
    assert cited["sha256"] and cited["source"] == "002_617917d42ee51cd6.txt"
    export = tmp_path / "export.json"
    export.write_text(json.dumps(conversation_json([{"question": answer["question"], "answer": answer,
                                                     "error": None}])), encoding="utf-8")
    result = run("verify", export, "--corpus", corpus)
    assert result.returncode == 0, result.stderr
    n = len(answer["citations"])
    assert result.stdout == f"{n} citation{'s' * (n != 1)} checked, all match\n"
    path = corpus / cited["source"]
    text = path.read_text(encoding="utf-8")
    at = cited["start"] + 1
    path.write_text(text[:at] + ("X" if text[at] != "X" else "Y") + text[at + 1:], encoding="utf-8")
    result = run("verify", export, "--corpus", corpus)
    assert result.returncode == 1, result.stderr
    assert f"turn 1 [{cited['n']}] {cited['source']}: quote differs at characters " \
           f"{cited['start']}–{cited['end']}" in result.stdout
    result = run("verify", export, "--corpus", corpus, "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["mismatches"][0]["n"] == cited["n"]
    export.write_text("{not json", encoding="utf-8")
    result = run("verify", export, "--corpus", corpus)
    assert result.returncode == 2 and "cannot read the export" in result.stderr and "Traceback" not in result.stderr


def test_the_library_answers_without_the_eval_extra_and_rag_eval_names_it(tmp_path):
    """`import rag` and the answering path never import rag.eval or matplotlib; without matplotlib
    `rag eval` and `rag bench` say which extra to install (exit 2)."""
    import sys

    light = ("import sys, rag, rag.pipeline, rag.cli; "
             "print(sorted(m for m in sys.modules if m.startswith(('rag.eval', 'matplotlib'))))")
    out = subprocess.run([sys.executable, "-c", light], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
    for command in ("eval", "bench"):
        blocked = ("import sys; sys.modules['matplotlib'] = None; from rag.cli import main; "
                   f"sys.exit(main([{command!r}, '--out', {str(tmp_path)!r}]))")
        run = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=120)
        assert run.returncode == 2, run.stderr
        assert f"rag {command} needs the eval extra: pip install -e '.[eval]'" in run.stderr
