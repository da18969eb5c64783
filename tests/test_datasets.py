"""Tests of rnn_companion.datasets: every generator obeys the rules of Elman (1990)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_companion import datasets as ds
from rnn_companion.datasets import delayed_recall
from rnn_companion.grammar import LEXICONS, TEMPLATES


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_temporal_xor_every_third_bit_is_xor_of_previous_two(seed: int) -> None:
    x = ds.temporal_xor(3000, np.random.default_rng(seed))
    assert x.shape == (3000,)
    assert set(np.unique(x)) <= {0, 1}
    t = x.reshape(-1, 3)
    np.testing.assert_array_equal(t[:, 2], t[:, 0] ^ t[:, 1])
    # the first two bits of each triplet are fair coin flips: all four pairs occur
    pairs = set(map(tuple, t[:, :2].tolist()))
    assert pairs == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_temporal_xor_is_seeded_and_checks_length() -> None:
    a = ds.temporal_xor(300, np.random.default_rng(5))
    # the seed fixes the stream: the pairs are the generator's first 100 x 2 integer draws
    pairs = np.random.default_rng(5).integers(0, 2, size=(100, 2))
    np.testing.assert_array_equal(a.reshape(100, 3)[:, :2], pairs)
    assert not np.array_equal(a, ds.temporal_xor(300, np.random.default_rng(6)))
    with pytest.raises(ValueError):
        ds.temporal_xor(10, np.random.default_rng(0))


def test_letter_vectors_equal_table_1() -> None:
    # Table 1 of Elman (1990), p. 188: Consonant, Vowel, Interrupted, High, Back, Voiced
    table1 = """
        b 1 0 1 0 0 1
        d 1 0 1 1 0 1
        g 1 0 1 0 1 1
        a 0 1 0 0 1 1
        i 0 1 0 1 0 1
        u 0 1 0 1 1 1
    """
    rows = [line.split() for line in table1.strip().splitlines()]
    assert {r[0]: tuple(int(v) for v in r[1:]) for r in rows} == ds.LETTER_VECTORS
    assert ds.LETTER_FEATURES == ("Consonant", "Vowel", "Interrupted", "High", "Back", "Voiced")


@pytest.mark.parametrize("seed", [0, 3])
def test_letter_sequence_expands_consonants(seed: int) -> None:
    seq = ds.letter_sequence(200, np.random.default_rng(seed))
    assert len(seq.consonants) == 200 and set(seq.consonants) <= set("bdg")
    # rebuild the expansion independently: each consonant is followed by 1, 2, 3 vowels
    rebuilt = "".join(c + {"b": "a", "d": "ii", "g": "uuu"}[c] for c in seq.consonants)
    assert seq.letters == rebuilt
    assert seq.vectors.shape == (len(seq.letters), 6)
    for t, c in enumerate(seq.letters):
        assert tuple(seq.vectors[t].astype(int)) == ds.LETTER_VECTORS[c]


def test_sentences_match_a_template() -> None:
    corpus = ds.elman_sentences(2000, np.random.default_rng(0))
    assert len(corpus.sentences) == 2000
    for sentence, k in zip(corpus.sentences, corpus.template_ids, strict=True):
        template = TEMPLATES[k]
        assert len(sentence) == len(template)
        for word, category in zip(sentence, template, strict=True):
            assert word in LEXICONS["nested"][category]
    assert corpus.words == [w for s in corpus.sentences for w in s]
    # one bit per word, 29 words plus two spare bits that are never on
    assert corpus.onehot.shape == (len(corpus.words), 31)
    np.testing.assert_array_equal(corpus.onehot.sum(1), 1.0)
    assert corpus.onehot[:, 29:].sum() == 0
    for t in (0, 7, len(corpus.words) - 1):
        assert ds.VOCABULARY[int(corpus.onehot[t].argmax())] == corpus.words[t]
    # every template and all 29 words occur; about 2.75 words per sentence
    assert set(corpus.template_ids.tolist()) == set(range(16))
    assert set(corpus.words) == set(ds.VOCABULARY)
    assert 2.7 < len(corpus.words) / 2000 < 2.8


@pytest.mark.parametrize("lexicon", sorted(LEXICONS))
def test_lexicons_have_the_29_words_of_figure_7(lexicon: str) -> None:
    words = {w for members in LEXICONS[lexicon].values() for w in members}
    assert words == set(ds.VOCABULARY) and len(ds.VOCABULARY) == 29
    assert len(TEMPLATES) == 16
    # every sentence of the corpus is a sentence of the grammar with that lexicon
    from rnn_companion.grammar import elman_grammar

    grammar = elman_grammar(lexicon)
    corpus = ds.elman_sentences(300, np.random.default_rng(1), lexicon=lexicon)
    assert all(grammar.accepts(s) for s in corpus.sentences)


def test_the_two_lexicons_differ_only_in_the_noun_classes() -> None:
    nested, disjoint = LEXICONS["nested"], LEXICONS["disjoint"]
    assert set(nested) == set(disjoint)
    assert {k for k in nested if nested[k] != disjoint[k]} == {"NOUN-ANIM", "NOUN-INANIM"}
    # nested: the animates include the humans and the aggressors
    assert set(nested["NOUN-HUM"]) | set(nested["NOUN-AGRESS"]) < set(nested["NOUN-ANIM"])
    # disjoint: no word in two noun classes
    nouns = [w for k, ws in disjoint.items() if k.startswith("NOUN") for w in ws]
    assert len(nouns) == len(set(nouns))


def test_jordan_plan_task() -> None:
    task = ds.jordan_plan_task()
    P, T = len(task.names), len(task.names[0])
    assert task.plans.shape == (P, P)
    np.testing.assert_array_equal(task.plans, np.eye(P))
    assert task.targets.shape == (T, P, 4)
    for p, name in enumerate(task.names):
        for t, a in enumerate(name):
            assert tuple(task.targets[t, p].astype(int)) == task.actions[a]
    with pytest.raises(ValueError):
        ds.jordan_plan_task(("AB", "ABC"))


def test_delayed_recall_targets() -> None:
    data = delayed_recall(3, 5, 10, 4, n_symbols=3, seed=1)
    assert len(data) == 3
    x, y = data[0]
    assert x.shape == y.shape == (10, 5) and int(x.max()) < 3
    assert torch.all(y[:4] == -100) and torch.equal(y[4:], x[:-4])
    # the seed fixes the data: the same draws from an independent generator, and another seed differs
    g = torch.Generator().manual_seed(1)
    for x_k, _ in delayed_recall(3, 5, 10, 4, seed=1):
        assert torch.equal(x_k, torch.randint(4, (10, 5), generator=g))
    assert not torch.equal(delayed_recall(1, 5, 10, 4, seed=2)[0][0], delayed_recall(1, 5, 10, 4, seed=1)[0][0])
    with pytest.raises(ValueError, match="delay=10, length=10"):
        delayed_recall(1, 5, 10, 10)
