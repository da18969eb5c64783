"""Tests of rnn_companion.datasets: every generator obeys the rules of Elman (1990)."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_companion import datasets as ds


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
    b = ds.temporal_xor(300, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
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
    for sentence, k in zip(corpus.sentences, corpus.template_ids):
        template = ds.TEMPLATES[k]
        assert len(sentence) == len(template)
        for word, category in zip(sentence, template):
            assert word in ds.LEXICON[category]
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


def test_lexicon_has_the_29_words_of_figure_7() -> None:
    words = {w for members in ds.LEXICON.values() for w in members}
    assert words == set(ds.VOCABULARY) and len(ds.VOCABULARY) == 29
    assert len(ds.TEMPLATES) == 16


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
