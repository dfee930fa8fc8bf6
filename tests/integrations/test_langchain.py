"""LangChain: the retriever returns routed, reranked Documents; the pipeline runs as a Runnable."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda
from tests.helpers.pipeline import shared_pipeline, stub_server

from mmrag.errors import InputError
from mmrag.integrations.langchain import MMRAGRetriever, pipeline_runnable
from mmrag.types import Answer

BEES = "How many eggs a day can a honeybee queen lay at the height of the season?"


@pytest.fixture(scope="module")
def pipe():
    s = stub_server()
    yield shared_pipeline(s.base_url)
    s.close()


def test_retriever_returns_kept_items_as_documents(pipe):
    docs = MMRAGRetriever(pipeline=pipe).invoke(BEES)
    assert docs and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["key"] == "bee-01" and top.metadata["route"] == "paragraph"
    assert 0.5 <= top.metadata["rs"] <= 1 and top.metadata["source"].endswith("paragraphs.jsonl:9")
    assert "2,000 eggs" in top.page_content
    images = MMRAGRetriever(pipeline=pipe, routes=["image"], k=1, tau=0.0).invoke("a drawing of a bee's body parts")
    assert len(images) == 1 and {d.metadata["route"] for d in images} == {"image"}
    assert MMRAGRetriever(pipeline=pipe, routes=["image"], tau=1.0).invoke("a drawing of a bee's body parts") == []
    assert images[0].metadata["media_path"].endswith(".png") and images[0].metadata["span"] is None
    adocs = asyncio.run(MMRAGRetriever(pipeline=pipe).ainvoke(BEES))
    assert [d.metadata["key"] for d in adocs] == [d.metadata["key"] for d in docs]


def test_pipeline_as_runnable(pipe):
    chain = pipeline_runnable(pipe)
    a = chain.invoke(BEES)
    assert isinstance(a, Answer) and a.citations[0].key == "bee-01"
    b = chain.invoke({"question": BEES, "routes": ["paragraph"], "k": 0})
    assert b.no_context and b.trace.kept == []
    # It composes like any Runnable, sync and async.
    texts = (chain | RunnableLambda(lambda ans: ans.text)).batch([BEES, BEES])
    assert texts == [a.text, a.text]
    assert asyncio.run(chain.ainvoke({"question": BEES})).text == a.text
    with pytest.raises(InputError, match="unknown keys"):
        chain.invoke({"question": BEES, "topk": 3})
