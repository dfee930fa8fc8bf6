"""The shipped demo corpus is consistent: every gold key and rerank pair names a real item."""

import importlib.util


def test_demo_corpus_has_no_problems(repo_root):
    spec = importlib.util.spec_from_file_location("check_corpus", repo_root / "corpora/demo/check_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.problems() == []
    keys = mod.item_keys()
    assert sum(len(v) for v in keys.values()) >= 40 + 6 + 15 + 2 + 2 + 1
    assert keys["page"] == {"workshop-factsheet.pdf#page1", "workshop-factsheet.pdf#page2"} and len(keys["audio"]) == 1
