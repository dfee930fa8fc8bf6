"""Property: paragraph splitting never loses, repeats or reorders a word, and respects the size bounds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mmrag.ingest.text import split_paragraphs

_WORD = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
_END = st.sampled_from(["", ".", "!", "?", ".\"", ".)", ","])


@st.composite
def sentence(draw) -> list[str]:
    words = draw(st.lists(_WORD, min_size=1, max_size=40))
    words[-1] += draw(_END)
    return words


@st.composite
def document(draw) -> tuple[str, int, int]:
    min_words = draw(st.integers(1, 60))
    max_words = draw(st.integers(min_words, 120))
    paragraphs = draw(st.lists(st.lists(sentence(), min_size=1, max_size=12), min_size=1, max_size=8))
    seps = draw(st.lists(st.sampled_from(["\n\n", "\n \n", "\n\n\n", "\r\n\r\n"]), min_size=len(paragraphs), max_size=len(paragraphs)))
    text = ""
    for para, sep in zip(paragraphs, seps):
        text += " ".join(" ".join(s) for s in para) + sep
    return text, min_words, max_words


def _is_one_sentence(passage: str) -> bool:
    inner = passage.split()[:-1]
    return not any(w.rstrip("\"')]").endswith((".", "!", "?")) for w in inner)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(document())
def test_every_word_once_in_order_within_bounds(doc):
    text, min_words, max_words = doc
    passages = split_paragraphs(text, min_words, max_words)
    assert " ".join(passages).split() == text.split()
    sizes = [len(p.split()) for p in passages]
    for i, (p, n) in enumerate(zip(passages, sizes)):
        assert n <= max_words or _is_one_sentence(p), (n, p)
        if n < min_words and len(passages) > 1:
            # Short only when neither neighbour could take it without passing max_words.
            assert i == 0 or sizes[i - 1] + n > max_words
            assert i == len(passages) - 1 or sizes[i + 1] + n > max_words
