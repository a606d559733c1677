"""Notebook 05's controlled experiment (cnnlib.experiments) and its cache."""
import ast

import numpy as np
import pytest

from cnnlib import experiments
from cnnlib.experiments import (Outcome, Summary, best_network, cached_dead_kernel_seeds, cached_results,
                                frozen_conv, paired_wins, percent_text, results_table, run_split, summarize)
from cnnlib.model import question1_model
from cnnlib.training import train, train_best_of, train_test_split_pair


@pytest.fixture(scope="module")
def split_38():
    return train_test_split_pair(3, 8, seed=1)


def test_frozen_model_keeps_its_kernel_and_trains_its_dense_layer(split_38):
    start = question1_model(1, seed=4)
    frozen = frozen_conv(start)
    assert sorted(frozen.parameters()) == ["dense.b", "dense.w"]
    history = train(frozen, split_38, epochs=3, seed=4)
    after, before = history.model, start
    for layer in ("conv.w", "conv.b"):       # bit for bit the random start
        np.testing.assert_array_equal(after.layers[0].params[layer[5:]], before.layers[0].params[layer[5:]])
    assert not np.allclose(after.layers[4].params["w"], before.layers[4].params["w"])
    assert history.train_loss[-1] < history.train_loss[0] or history.train_loss[0] < 0.2
    # the caller's model is untouched, and the same start trained normally moves its kernel
    np.testing.assert_array_equal(start.layers[0].params["w"], question1_model(1, seed=4).layers[0].params["w"])
    moved = train(start, split_38, epochs=3, seed=4).model
    assert not np.allclose(moved.layers[0].params["w"], before.layers[0].params["w"])


def test_frozen_model_predicts_like_its_layers(split_38):
    model = question1_model(2, seed=0)
    np.testing.assert_array_equal(frozen_conv(model).forward(split_38.x_test), model.forward(split_38.x_test))


def test_frozen_conv_rejects_what_it_cannot_freeze():
    with pytest.raises(TypeError, match="Sequential"):
        frozen_conv("a model")
    model = question1_model(1)
    with pytest.raises(ValueError, match="conv"):
        frozen_conv(type(model)(model.layers[1:], model.layer_names[1:]))


def test_best_network_unfrozen_is_train_best_of(split_38):
    ours = best_network(split_38, num_kernels=1, freeze=False, seeds=(3, 4))
    theirs = train_best_of(split_38, num_kernels=1, restarts=2, seed=3)
    assert ours.as_dict() == theirs.as_dict() and ours.seed == theirs.seed


def test_summary_statistics_by_hand():
    s = Summary((0.9, 1.0, 0.95))
    assert s.mean == pytest.approx(0.95) and s.low == 0.9 and s.high == 1.0
    assert s.spread == pytest.approx(0.05)          # sample std of 0.90, 1.00, 0.95
    assert percent_text(s) == "95.0 ± 5.0 %"


def test_paired_wins_and_table():
    results = {(3, 8): {"trained": [Outcome(90, 90, 0), Outcome(88, 90, 3)],
                        "frozen": [Outcome(85, 90, 1), Outcome(89, 90, 4)],
                        "logistic": [Outcome(89, 90), Outcome(89, 90)]}}
    assert paired_wins(results, (3, 8)) == (1, 1)
    table = results_table(results)
    assert "| 3 vs 8 |" in table and "98.9 ± 1.6 % (97.8–100.0)" in table and table.count("\n") == 2
    assert summarize(results)[(3, 8)]["logistic"].accuracies == (89 / 90, 89 / 90)


def test_cache_round_trip(tmp_path):
    data = {"headline": {(0, 1): {"trained": [Outcome(90, 90, 2)], "logistic": [Outcome(89, 90, None)]}},
            "all_pairs": {(2, 7): {"frozen": [Outcome(80, 91, 5)]}}, "dead_kernel_seeds": [15]}
    path = tmp_path / "cache.py"
    experiments.write_cache(data, path)
    namespace = {}
    exec(path.read_text(), namespace)
    assert experiments.decode(namespace["HEADLINE"]) == data["headline"]
    assert experiments.decode(namespace["ALL_PAIRS"]) == data["all_pairs"]
    assert namespace["DEAD_KERNEL_SEEDS"] == [15]
    ast.parse(path.read_text())


def test_cache_covers_every_pair_and_split():
    headline, all_pairs = cached_results("headline"), cached_results("all_pairs")
    assert set(headline) == set(experiments.HEADLINE_PAIRS) and set(all_pairs) == set(experiments.ALL_PAIRS)
    for models in headline.values():
        assert set(models) == {"trained", "frozen", "trained 4", "frozen 4", "logistic"}
    for pair, models in all_pairs.items():
        assert set(models) == {"trained", "frozen", "logistic"}
        for outcomes in models.values():
            assert len(outcomes) == experiments.SPLITS
            assert len({o.total for o in outcomes}) == 1 and all(0 <= o.correct <= o.total for o in outcomes)
    for pair in experiments.HEADLINE_PAIRS:       # the two tables agree where they overlap
        assert {m: headline[pair][m] for m in ("trained", "frozen", "logistic")} == all_pairs[pair]
    with pytest.raises(ValueError, match="headline"):
        cached_results("everything")


# A sample of the cache, recomputed: (pair, split, kernel counts). Every split index and every
# model kind appears. `python -m cnnlib.experiments --check` recomputes everything (many minutes;
# not a test, so that no skipped test stands in for it).
SAMPLE = [((0, 1), 4, (1,)), ((3, 8), 2, (1, 4)), ((8, 9), 1, (1,)), ((2, 7), 3, (1,)), ((4, 9), 0, (1,))]


@pytest.mark.slow
@pytest.mark.parametrize("pair, split_seed, kernel_counts", SAMPLE, ids=lambda v: str(v))
def test_cache_equals_a_recomputation(pair, split_seed, kernel_counts):
    fresh = run_split(*pair, split_seed, kernel_counts)
    table = cached_results("headline" if len(kernel_counts) > 1 else "all_pairs")
    assert fresh == {name: table[pair][name][split_seed] for name in fresh}


@pytest.mark.slow
def test_dead_kernel_scan_equals_the_cache_on_a_sample():
    seeds = range(13, 18)
    assert experiments.dead_kernel_scan(seeds) == [s for s in cached_dead_kernel_seeds() if s in seeds]
