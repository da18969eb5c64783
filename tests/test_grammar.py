"""Tests for rnn_companion.grammar: exact next-word distributions against enumeration and sampling."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from rnn_companion.grammar import (
    LEXICONS,
    TEMPLATES,
    TemplateGrammar,
    elman_grammar,
    split_sentences,
)
from rnn_companion.ngram import NGramLM, fit_ngram


@pytest.fixture(scope="module")
def grammar() -> TemplateGrammar:
    return elman_grammar()


def brute_force_next(grammar: TemplateGrammar, prefix: tuple[str, ...]) -> np.ndarray:
    """p(w | prefix) from the enumerated sentence probabilities (an independent computation)."""
    p = np.zeros(len(grammar.vocab))
    for sentence, prob in grammar.sentences():
        if len(sentence) > len(prefix) and sentence[: len(prefix)] == prefix:
            p[grammar.index[sentence[len(prefix)]]] += prob
    return p / p.sum()


def test_vocabulary_and_enumeration(grammar: TemplateGrammar) -> None:
    assert len(grammar.vocab) == 30 and grammar.vocab[0] == "."
    sentences = grammar.sentences()
    assert math.isclose(sum(p for _, p in sentences), 1.0, rel_tol=1e-12)
    assert all(s[-1] == "." and 3 <= len(s) <= 4 for s, _ in sentences)
    assert len(grammar.templates) == len(TEMPLATES) == 16


def test_next_word_matches_enumeration_for_all_short_prefixes(grammar: TemplateGrammar) -> None:
    prefixes = {(): 1}
    for sentence, _ in grammar.sentences():
        for m in range(1, len(sentence)):
            prefixes[tuple(sentence[:m])] = 1
    assert len(prefixes) > 100
    for prefix in prefixes:
        p = grammar.next_word_distribution(prefix)
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-12)
        np.testing.assert_allclose(p, brute_force_next(grammar, prefix), rtol=1e-10, atol=1e-12)
        # earlier sentences do not matter
        np.testing.assert_allclose(grammar.next_word_distribution(["man", "think", ".", *prefix]), p)


def test_known_conditional(grammar: TemplateGrammar) -> None:
    # "man break": templates HUM-DESTROY-FRAG, HUM-AGPAT-INANIM, HUM-AGPAT, each 1/16 * 1/4 * 1/2
    probs = grammar.next_word_probs(["man", "break"])
    assert probs["."] == pytest.approx(1 / 3)
    assert probs["plate"] == pytest.approx(1 / 6)
    assert probs["book"] == pytest.approx(1 / 9)
    assert grammar.next_word_probs(["man", "break", "plate"]) == {".": 1.0}


def test_conditionals_match_sample_frequencies(grammar: TemplateGrammar) -> None:
    text = grammar.sample(20000, seed=123)
    for prefix in [(), ("man",), ("dragon", "eat"), ("girl", "see")]:
        counts = Counter(s[len(prefix)] for s in text if tuple(s[: len(prefix)]) == prefix)
        n = sum(counts.values())
        assert n > 200
        p = grammar.next_word_distribution(prefix)
        observed = np.array([counts.get(w, 0) for w in grammar.vocab], dtype=float)
        support = p > 0
        assert observed[~support].sum() == 0
        chi2 = (((observed - n * p) ** 2)[support] / (n * p[support])).sum()
        dof = int(support.sum()) - 1
        assert chi2 < dof + 5 * math.sqrt(2 * dof) + 5, (prefix, chi2, dof)


def test_sampling_is_seeded(grammar: TemplateGrammar) -> None:
    assert grammar.sample(50, seed=7) == grammar.sample(50, seed=7)
    assert grammar.sample(50, seed=7) != grammar.sample(50, seed=8)


def test_accepts(grammar: TemplateGrammar) -> None:
    assert grammar.accepts(["man", "eat", "bread", "."])
    assert grammar.accepts(["rock", "move"])
    assert grammar.is_grammatical(["lion", "eat", "girl", "."])
    assert not grammar.accepts(["rock", "eat", "."])
    assert not grammar.accepts(["man", "eat", "."])
    assert not grammar.accepts(["man", "think", ".", "cat", "sleep", "."])
    assert not grammar.accepts(["."])
    assert not grammar.accepts(["man", "zog", "."])
    assert all(grammar.accepts(s) for s in grammar.sample(200, seed=1))
    for sentence, p in grammar.sentences()[:20]:
        assert grammar.sentence_probability(sentence) == pytest.approx(p)


def test_zero_probability_prefix_raises(grammar: TemplateGrammar) -> None:
    with pytest.raises(ValueError, match="probability zero"):
        grammar.next_word_distribution(["eat"])


def test_split_sentences() -> None:
    assert split_sentences(["a", ".", "b", "c", ".", "d"]) == [["a", "."], ["b", "c", "."]]


def test_cross_entropy_is_optimal_and_matches_entropy_rate(grammar: TemplateGrammar) -> None:
    train, test = grammar.sample(3000, seed=0), grammar.sample(3000, seed=1)
    ce = grammar.cross_entropy(test)
    # log-probs by hand for the first sentence
    s = test[0]
    manual = [math.log(grammar.next_word_distribution(s[:j])[grammar.index[w]]) for j, w in enumerate(s)]
    np.testing.assert_allclose(grammar.log_probs(test[:1]), manual)
    for n in (1, 2, 3, 4):
        assert ce < fit_ngram(n, train, grammar.vocab).cross_entropy(test)
    # the exact entropy rate from enumeration agrees with the held-out estimate
    assert ce == pytest.approx(grammar.entropy_rate(), abs=0.03)
    # and with a direct computation: sum p log p over sentences / expected length
    sents = grammar.sentences()
    h = -sum(p * math.log(p) for _, p in sents) / sum(p * len(s) for s, p in sents)
    assert grammar.entropy_rate() == pytest.approx(h)


def test_ngram_counts_and_smoothing() -> None:
    vocab = (".", "a", "b")
    text = [["a", "b", "."], ["a", "."]]
    uni = NGramLM(1, vocab, k=1.0).fit(text)
    # counts: a 2, b 1, . 2 -> N = 5
    np.testing.assert_allclose(uni.distribution(()), np.array([3, 3, 2]) / 8)
    bi = NGramLM(2, vocab, k=0.5).fit(text)
    # after "a": b 1, . 1
    np.testing.assert_allclose(bi.distribution(["a"]), np.array([1.5, 0.5, 1.5]) / 3.5)
    # first word from the sentence start "."
    np.testing.assert_allclose(bi.distribution(["."]), np.array([0.5, 2.5, 0.5]) / 3.5)
    lp = bi.log_probs([["a", "b", "."]])
    np.testing.assert_allclose(lp, np.log([2.5 / 3.5, 1.5 / 3.5, 1.5 / 2.5]))
    assert bi.perplexity([["a", "b", "."]]) == pytest.approx(math.exp(-lp.mean()))
    tri = NGramLM(3, vocab, k=1.0).fit(text)
    np.testing.assert_allclose(tri.distribution([".", "a"]), np.array([2, 1, 2]) / 5)


def test_ngram_distributions_sum_to_one(grammar: TemplateGrammar) -> None:
    model = fit_ngram(3, grammar.sample(500, seed=2), grammar.vocab)
    for context in [(".", "."), (".", "man"), ("man", "eat"), ("zzz", "yyy")]:
        assert model.distribution(context).sum() == pytest.approx(1.0)


def test_custom_grammar_validation() -> None:
    with pytest.raises(ValueError):
        TemplateGrammar({"A": ("x",)}, [("B",)])
    with pytest.raises(ValueError):
        TemplateGrammar({"A": (".",)}, [("A",)])
    g = TemplateGrammar({"A": ("x", "y"), "B": ("y", "z")}, [("A",), ("B", "B")], weights=[3, 1])
    # "y" is ambiguous: P(A | y) = (3/4 * 1/2) / (3/4 * 1/2 + 1/4 * 1/2) = 3/4
    np.testing.assert_allclose(g.template_posterior(["y"]), [0.75, 0.25])
    np.testing.assert_allclose(g.next_word_distribution(["y"]), brute_force_next(g, ("y",)))


def test_elman_grammar_lexicons() -> None:
    assert elman_grammar().classes == LEXICONS["disjoint"]
    assert elman_grammar("nested").classes == LEXICONS["nested"]
    with pytest.raises(ValueError, match=r"one of \['disjoint', 'nested'\], got 'figure7'"):
        elman_grammar("figure7")


def test_fill_draws_one_word_per_slot_uniformly() -> None:
    g = elman_grammar("nested")
    rng = np.random.default_rng(0)
    k = TEMPLATES.index(("NOUN-ANIM", "VERB-EAT", "NOUN-FOOD"))
    counts = Counter(g.fill(k, rng)[0] for _ in range(5000))
    assert set(counts) == set(LEXICONS["nested"]["NOUN-ANIM"])
    # 10 animates, uniform: each about 500 of 5000 (binomial sd about 21)
    assert max(abs(c - 500) for c in counts.values()) < 100
