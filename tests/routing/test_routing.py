"""Router: decision rule, data loading, training + artefact round trip, shipped router, LLM router, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.helpers.openai_stub import Reply, chat_completion
from typer.testing import CliRunner

from mmrag.config import MMRAGConfig, RoutingConfig, ModelServerConfig, load_config
from mmrag.embeddings import QueryEmbeddings
from mmrag.errors import ConfigError, InputError, MMRAGError
from mmrag.registry import CorpusRegistry, CorpusSpec
from mmrag.routing import (
    FixedRouter,
    LLMRouter,
    RouterModel,
    TrainedRouter,
    decide,
    load_router,
    route_modalities,
)
from mmrag.routing.dataset import LabelledQuery, load_labelled
from mmrag.routing.train import TrainOptions, train_model
from mmrag.model_client import OpenAIClient


@pytest.fixture(scope="module")
def registry(repo_root):
    return CorpusRegistry.from_yaml(repo_root / "corpora/demo.yaml")


@pytest.fixture(scope="module")
def small_set(registry, repo_root):
    """12 queries per route from the shipped set: enough to train a real (small) router quickly."""
    rows = load_labelled(repo_root / "data/routing/routing_set.jsonl", registry.all_routes)
    out, seen = [], {}
    for r in rows:
        if len(r.routes) == 1 and seen.get(r.primary, 0) < 12:
            seen[r.primary] = seen.get(r.primary, 0) + 1
            out.append(r)
    return out


@pytest.fixture(scope="module")
def small_emb(small_set, text_encoder):
    return text_encoder.encode([r.query for r in small_set])


@pytest.fixture(scope="module")
def shipped(registry, text_encoder):
    return load_router(MMRAGConfig(), registry, text_encoder=text_encoder)


# -- decision rule -------------------------------------------------------------------------------
def test_decide_threshold_granularity_and_none(registry):
    mods = route_modalities(registry)
    p = {"none": 0.1, "paragraph": 0.7, "document": 0.8, "image": 0.6, "clip": 0.2, "video": 0.1}
    # document beats paragraph (same modality), image is another modality and stays.
    assert decide(p, 0.5, mods) == ["document", "image"]
    # nothing passes tau: top-1 only
    assert decide({**p, "paragraph": 0.3, "document": 0.4, "image": 0.2}, 0.5, mods) == ["document"]
    # 'none' is dropped when a retrieval route is chosen too
    assert decide({"none": 0.9, "paragraph": 0.6, "document": 0.0, "image": 0.0, "clip": 0.0, "video": 0.0}, 0.5, mods) == ["paragraph"]
    assert decide({"none": 0.9, "paragraph": 0.1, "document": 0.0, "image": 0.0, "clip": 0.0, "video": 0.0}, 0.5, mods) == ["none"]
    assert decide({"none": 0.0, "paragraph": 0.0, "document": 0.0, "image": 0.0, "clip": 0.55, "video": 0.9}, 0.5, mods) == ["video"]


# -- labelled data ----------------------------------------------------------------------------------
def test_load_labelled_aliases_multi_and_errors(tmp_path, registry):
    f = tmp_path / "d.jsonl"
    f.write_text(
        '{"query": "Psychological egoism is:", "route": "no"}\n'
        '{"query": "When was it built and what colour is it?", "routes": ["paragraph", "image"]}\n'
        '{"query": "q3", "route": "document+clip"}\n'
    )
    rows = load_labelled(f, registry.all_routes)
    assert [r.routes for r in rows] == [["none"], ["paragraph", "image"], ["document", "clip"]]
    f.write_text('{"query": "x", "route": "tables"}\n')
    with pytest.raises(InputError, match="unknown route 'tables'; known routes: none, paragraph"):
        load_labelled(f, registry.all_routes)
    f.write_text('{"query": "  ", "route": "none"}\n')
    with pytest.raises(InputError, match="line 1"):
        load_labelled(f, registry.all_routes)
    with pytest.raises(InputError, match="not found"):
        load_labelled(tmp_path / "missing.jsonl", registry.all_routes)


def test_shipped_set_is_large_varied_and_has_multi_route_queries(registry, repo_root):
    rows = load_labelled(repo_root / "data/routing/routing_set.jsonl", registry.all_routes)
    single = {r: sum(1 for x in rows if x.routes == [r]) for r in registry.all_routes}
    assert min(single.values()) >= 120, single
    multi = [x for x in rows if len(x.routes) > 1]
    assert len(multi) >= 30
    assert len({x.query.lower() for x in rows}) == len(rows)


# -- training and the artefact ---------------------------------------------------------------------------
def test_train_save_load_round_trip_is_exact_and_pickle_free(tmp_path, registry, text_encoder, small_set, small_emb):
    model = train_model(small_set, registry.all_routes, text_encoder, embeddings=small_emb)
    again = train_model(small_set, registry.all_routes, text_encoder, embeddings=small_emb)
    np.testing.assert_array_equal(model.coef, again.coef)  # deterministic training
    model.save(tmp_path / "r")
    meta = json.loads((tmp_path / "r" / "router.json").read_text())
    assert meta["labels"] == registry.all_routes and meta["encoder"] == text_encoder.name
    with np.load(tmp_path / "r" / "weights.npz", allow_pickle=False) as npz:
        assert npz["coef"].shape == (len(registry.all_routes), model.coef.shape[1])
    loaded = RouterModel.load(tmp_path / "r")
    queries = ["Who painted the Night Watch?", "How do I bake rye bread?", "What is 12 squared?"]
    emb = text_encoder.encode(queries)
    np.testing.assert_allclose(loaded.predict_proba(queries, emb), model.predict_proba(queries, emb), rtol=1e-5, atol=1e-6)


def test_softmax_over_route_sets_gives_two_route_questions_two_routes(tmp_path, registry, text_encoder, small_set, small_emb):
    pairs = [LabelledQuery(query=q, routes=["paragraph", "image"]) for q in (
        "When was the lighthouse built, and what colour is its lantern?", "Who designed the tower and what does its top look like?",
        "When did the ferry start sailing, and what colour is its hull?", "Who founded the market hall, and what does its roof look like?",
        "When was the castle finished, and what shape are its windows?", "Who built the windmill, and what colour are its sails?")]
    emb = np.vstack([small_emb, text_encoder.encode([p.query for p in pairs])])
    model = train_model(small_set + pairs, registry.all_routes, text_encoder, embeddings=emb)
    assert model.kind == "softmax" and ["paragraph", "image"] in model.sets and len(model.sets) == len(registry.all_routes) + 1
    q = ["When was the old mill opened, and what colour is its door?", "What is 9 times 7?"]
    p = model.predict_proba(q, text_encoder.encode(q))
    # A route's probability sums the sets holding it; the sets' probabilities sum to one, so the routes' sum to
    # one plus the probability of the two-route set (counted for both its routes).
    assert np.all(p <= 1.0) and np.all(p.sum(axis=1) >= 1.0 - 1e-5) and np.all(p.sum(axis=1) <= 2.0)
    router = TrainedRouter(model, registry, text_encoder)
    assert set(router.route(q[0]).routes) == {"paragraph", "image"}
    # The same decision from the question's shared embeddings, which embed the query once for every stage.
    memo = QueryEmbeddings()
    d = router.route(q[1], embeddings=memo)
    assert d.probabilities == pytest.approx(router.route(q[1]).probabilities, abs=1e-6)
    assert router.route(q[1], embeddings=memo).probabilities == d.probabilities and memo.calls == 1
    # ... or from vectors a caller computed for a batch.
    batch = router.probabilities(q, text_encoder.encode(q))
    assert batch[1] == pytest.approx(d.probabilities, abs=1e-6)
    # A format-1 (one sigmoid per route) artefact still loads and predicts as before.
    ovr = train_model(small_set, registry.all_routes, text_encoder, TrainOptions(model="ovr"), embeddings=small_emb)
    ovr.save(tmp_path / "ovr")
    meta = json.loads((tmp_path / "ovr" / "router.json").read_text())
    meta["format"] = "mmrag-router/1"
    (tmp_path / "ovr" / "router.json").write_text(json.dumps(meta))
    old = RouterModel.load(tmp_path / "ovr")
    assert old.kind == "ovr"
    np.testing.assert_allclose(old.predict_proba(q, text_encoder.encode(q)), ovr.predict_proba(q, text_encoder.encode(q)), rtol=1e-5, atol=1e-6)


def test_artefact_for_another_encoder_is_refused(tmp_path, registry, text_encoder, small_set, small_emb):
    model = train_model(small_set, registry.all_routes, text_encoder, TrainOptions(features="embed"), embeddings=small_emb)

    class OtherEncoder:
        name, dim, max_tokens = "some/other-model", 384, 256

    with pytest.raises(ConfigError, match="was trained with encoder"):
        TrainedRouter(model, registry, OtherEncoder())
    with pytest.raises(ConfigError, match="not found or incomplete"):
        RouterModel.load(tmp_path / "nothing")


def test_new_corpus_is_a_new_route_without_code_changes(registry, text_encoder, small_set, small_emb):
    bigger = CorpusRegistry([*registry, CorpusSpec(name="tables", route="table", modality="text", granularity="document",
                                                   description="Spreadsheets and statistical tables.")])
    extra = [LabelledQuery(query=q, routes=["table"]) for q in (
        "Which row of the table has the highest GDP?", "What is the total in the last column of the spreadsheet?",
        "Sum the values in the table's 2020 column.", "Which table cell shows the lowest unemployment rate?",
        "How many rows in the table list countries in Africa?", "What is the average of the table's price column?")]
    emb = np.vstack([small_emb, text_encoder.encode([e.query for e in extra])])
    router = TrainedRouter(train_model(small_set + extra, bigger.all_routes, text_encoder, embeddings=emb), bigger, text_encoder)
    d = router.route("In the spreadsheet table, which row has the largest value in the revenue column?")
    assert set(d.probabilities) == set(bigger.all_routes)
    assert d.routes[0] == "table"


def _corpus(name: str, route: str, modality: str, granularity: str, description: str, examples=()) -> CorpusSpec:
    return CorpusSpec(name=name, route=route, modality=modality, granularity=granularity, description=description,
                      examples=list(examples))


def test_a_registry_with_fewer_routes_never_routes_outside_it(text_encoder):
    three = CorpusRegistry([
        _corpus("notes", "paragraph", "text", "paragraph", "My own notes."),
        _corpus("photos", "image", "image", "image", "My photos."),
        _corpus("clips", "clip", "video", "clip", "Moments of my videos."),
    ])
    router = load_router(MMRAGConfig(), three, text_encoder=text_encoder)
    cases = {
        # A whole-document question goes to the closest remaining text route, a whole-video one to clips.
        "Which river is longer, the Danube or the Rhine, and which countries does each cross?": ["paragraph"],
        "How do I replace the chain on a mountain bike?": ["clip"],
        "What colour are the domes of the Church of the Savior on Spilled Blood?": ["image"],
        "What is 48 divided by 6?": ["none"],
    }
    for query, routes in cases.items():
        d = router.route(query)
        assert set(d.probabilities) == {"none", "paragraph", "image", "clip"}
        assert d.routes == routes, (query, d.probabilities)
    # The dropped routes' mass went to the remaining ones: the document question is confidently 'paragraph'.
    assert router.route("Which river is longer, the Danube or the Rhine, and which countries does each cross?").probabilities["paragraph"] >= 0.5


def test_a_route_the_router_never_saw_is_picked_from_its_description(registry, text_encoder):
    recipes = _corpus(
        "my-recipes", "recipes", "text", "paragraph",
        "Cooking and baking recipes: ingredients, quantities, oven temperatures and preparation steps.",
        ["How much flour goes into the pancake batter?", "At what temperature do I bake the lemon cake?",
         "How long should the onions simmer for the soup?"],
    )
    bigger = CorpusRegistry([*registry, recipes])
    router = load_router(MMRAGConfig(), bigger, text_encoder=text_encoder)
    d = router.route("How many grams of butter go into the shortbread biscuits?")
    assert set(d.probabilities) == set(bigger.all_routes)
    assert d.routes == ["recipes"], d.probabilities
    assert "zero-shot" in d.router
    # Questions for the other corpora still go where they did.
    assert router.route("In what year was the first lighthouse on Eddystone Rock lit?").routes == ["paragraph"]
    assert router.route("How do I replace the chain on a mountain bike?").routes == ["video"]


# -- the shipped router --------------------------------------------------------------------------------
def test_shipped_router_routes_clear_queries(shipped):
    cases = {
        "What is 48 divided by 6?": "none",
        # A famous fact any model knows needs no retrieval (the demo's and the scenario's policy); a detail does.
        "Who wrote the novel Dracula?": "none",
        "In what year was the first lighthouse on Eddystone Rock lit?": "paragraph",
        "Which river is longer, the Danube or the Rhine, and which countries does each cross?": "document",
        "What colour are the domes of the Church of the Savior on Spilled Blood?": "image",
        "What does the referee do right after the penalty is missed in the match video?": "clip",
        "How do I replace the chain on a mountain bike?": "video",
        "On page 3 of the tenancy agreement PDF, what does the deposit table say?": "page",
        "What did the chairwoman say about the library budget in the recorded council meeting?": "audio",
    }
    for query, route in cases.items():
        d = shipped.route(query)
        assert set(d.probabilities) == {"none", "paragraph", "document", "image", "clip", "video", "page", "audio"}
        assert d.routes == [route], (query, d.probabilities)
        assert d.router == "trained" and d.latency_ms > 0


def test_shipped_router_can_choose_two_routes(shipped):
    d = shipped.route("When was the Tower Bridge opened, and what colour is it painted?")
    assert set(d.routes) == {"paragraph", "image"}, d.probabilities


def test_bad_queries(shipped):
    with pytest.raises(InputError, match="query is empty"):
        shipped.route("   ")
    long = "Describe what the photo of the old lighthouse shows. " * 3000
    d = shipped.route(long)
    assert d.routes and all(0.0 <= p <= 1.0 for p in d.probabilities.values())


def test_fixed_router_and_unknown_routes(registry):
    r = load_router(MMRAGConfig(routing=RoutingConfig(kind="fixed", fixed_routes=["paragraph", "image"])), registry)
    d = r.route("anything")
    assert d.routes == ["paragraph", "image"] and d.probabilities["image"] == 1.0 and d.probabilities["none"] == 0.0
    with pytest.raises(ConfigError, match="unknown route 'tables'; known routes: none, paragraph, document, image, clip, video, page, audio"):
        FixedRouter(["tables"], registry)
    with pytest.raises(ConfigError, match="routing.tau"):
        load_config(None, {"routing.tau": 1.5})


# -- the training-free router --------------------------------------------------------------------------
def _llm(stub_server, registry, fallback=None):
    client = OpenAIClient(ModelServerConfig(base_url=stub_server.base_url, model="stub", max_retries=0, backoff_s=0.0))
    return LLMRouter(client, registry, fallback=fallback)


def test_llm_router_reads_letter_logprobs(stub_server, registry):
    # Letters follow registry order: A none, B paragraph, C document, D image, E clip, F video, G page, H audio.
    stub_server.responder = lambda path, body: Reply(body=chat_completion("D", logprobs={"D": -0.2, " B": -2.0, "B": -3.0, "x": -1.0}))
    d = _llm(stub_server, registry).route("What colour is the Golden Gate Bridge?")
    assert d.routes == ["image"] and d.router == "llm" and d.fallback is None
    assert d.probabilities["image"] > 0.7 and d.probabilities["paragraph"] > 0.0 and d.probabilities["video"] == 0.0
    assert abs(sum(d.probabilities.values()) - 1.0) < 1e-6
    body = stub_server.chat_requests()[-1]
    assert body["logprobs"] is True and body["top_logprobs"] >= 5
    prompt = json.dumps(body["messages"])
    for spec in registry:
        assert spec.description in prompt  # the route descriptions come from the registry
    assert "What colour is the Golden Gate Bridge?" in body["messages"][-1]["content"]


def test_llm_router_parses_text_when_no_logprobs(stub_server, registry):
    stub_server.responder = lambda path, body: Reply(body=chat_completion("B, D"))
    d = _llm(stub_server, registry).route("Who built it and what does it look like?")
    assert d.routes == ["paragraph", "image"]
    stub_server.responder = lambda path, body: Reply(body=chat_completion("The best source is video."))
    assert _llm(stub_server, registry).route("How do I tie a tie?").routes == ["video"]


def test_llm_router_falls_back_to_trained_router_visibly(stub_server, registry, shipped):
    stub_server.responder = lambda path, body: Reply(body=chat_completion("I am not sure, sorry!"))
    d = _llm(stub_server, registry, fallback=shipped).route("How do I replace the chain on a mountain bike?")
    assert d.routes == ["video"] and "unusable answer" in d.fallback and "fallback from llm" in d.router
    stub_server.responder = lambda path, body: Reply(status=500, body={"error": "boom"})
    d = _llm(stub_server, registry, fallback=shipped).route("What is 48 divided by 6?")
    assert d.routes == ["none"] and "HTTP 500" in d.fallback
    with pytest.raises(MMRAGError, match="llm_fallback"):
        _llm(stub_server, registry).route("What is 48 divided by 6?")


def test_load_router_llm_kind_uses_config(stub_server, registry, text_encoder):
    stub_server.responder = lambda path, body: Reply(body=chat_completion("A", logprobs={"A": -0.01, "B": -5.0}))
    cfg = MMRAGConfig(routing=RoutingConfig(kind="llm"), model_server=ModelServerConfig(base_url=stub_server.base_url, max_retries=0))
    d = load_router(cfg, registry, text_encoder=text_encoder).route("What is 2 + 2?")
    assert d.routes == ["none"] and d.router == "llm"


# -- CLI ------------------------------------------------------------------------------------------
def test_cli_train_route_and_eval(tmp_path, repo_root, small_set, monkeypatch):
    from mmrag.cli.main import app

    monkeypatch.chdir(repo_root)
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"query": r.query, "route": r.primary}) + "\n" for r in small_set))
    runner = CliRunner()
    res = runner.invoke(app, ["router", "train", "--data", str(data), "--out", str(tmp_path / "r"), "--features", "tfidf"])
    assert res.exit_code == 0, res.output
    # Provenance: each data file with its count and hash, the date, and cross-validated figures when asked.
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"query": "Show me the table on page 4 of the lease PDF.", "route": "page"}) + "\n")
    res = runner.invoke(app, ["router", "train", "--data", str(data), "--data", str(extra), "--weight", "1", "--weight", "2",
                              "--cv", "2", "--out", str(tmp_path / "r2"), "--features", "tfidf"])
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "r2" / "router.json").read_text())["meta"]
    import hashlib
    assert [(d["file"], d["queries"], d["weight"]) for d in meta["data"]] == [("train.jsonl", len(small_set), 1.0), ("extra.jsonl", 1, 2.0)]
    assert meta["data"][1]["sha256"] == hashlib.sha256(extra.read_bytes()).hexdigest() and meta["trained_at"].endswith("Z")
    assert meta["cv"]["k"] == 2 and meta["cv"]["seed"] == 0 and 0.3 < meta["cv"]["accuracy"] <= 1.0
    res = runner.invoke(app, ["router", "train", "--data", str(data), "--weight", "1", "--weight", "2", "--out", str(tmp_path / "r3")])
    assert res.exit_code == 1 and "--weight" in res.output
    res = runner.invoke(app, ["route", "How do I fold a paper boat?", "--router", str(tmp_path / "r"), "--json"])
    assert res.exit_code == 0, res.output
    assert set(json.loads(res.stdout)["probabilities"]) == {"none", "paragraph", "document", "image", "clip", "video", "page", "audio"}
    res = runner.invoke(app, ["eval", "routing", "--data", str(data), "--router", str(tmp_path / "r"), "--json",
                              "--out", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert {"accuracy", "macro_f1", "per_route", "confusion", "latency_ms"} <= set(rep)
    assert rep["accuracy"] > 0.8  # training data of a TF-IDF model: it must at least fit it
    assert sum(map(sum, rep["confusion"])) == len(small_set) and rep["latency_ms"]["p50"] > 0
    assert (tmp_path / "ev" / "confusion.png").stat().st_size > 1000
    res = runner.invoke(app, ["eval", "routing", "--data", str(data), "--cv", "3", "--features", "tfidf", "--json",
                              "--out", str(tmp_path / "cv")])
    assert res.exit_code == 0, res.output
    assert 0.3 < json.loads(res.stdout)["accuracy"] <= 1.0
    res = runner.invoke(app, ["route", "   ", "--router", str(tmp_path / "r")])
    assert res.exit_code == 1 and "query is empty" in res.output
    res = runner.invoke(app, ["eval", "routing", "--data", str(tmp_path / "missing.jsonl")])
    assert res.exit_code == 1 and "not found" in res.output
