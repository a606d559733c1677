"""Notebook 05's pictures and retraining explorer (cnnlib.figures.training, cnnlib.widgets.training)."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnlib.figures.training import learned_kernels_figure, training_curves_figure
from cnnlib.model import question1_model
from cnnlib.training import train, train_best_of, train_test_split_pair
from cnnlib.widgets.training import TrainingExplorer, percent, result_html, retrain


@pytest.fixture(scope="module")
def short_history():
    return train(question1_model(2, seed=0), train_test_split_pair(0, 1), epochs=3)


def test_curves_figure_draws_four_curves_of_one_point_per_epoch(short_history):
    fig = training_curves_figure(short_history, title="t")
    assert isinstance(fig, Figure)
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    assert len(lines) == 4 and all(len(line.get_xdata()) == 3 for line in lines)
    np.testing.assert_allclose(fig.axes[1].get_lines()[1].get_ydata(), np.array(short_history.test_accuracy) * 100)
    ticks, (bottom, top) = fig.axes[1].get_yticks(), fig.axes[1].get_ylim()
    assert top > 100 and max(ticks) <= 100 and min(ticks) >= bottom   # no "100.5 %" tick
    plt.close(fig)


def test_kernels_figure_has_one_panel_per_kernel(short_history):
    fig = learned_kernels_figure(short_history.model)
    assert len(fig.axes) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match="Conv2d"):
        learned_kernels_figure(type(short_history.model)([]))


def test_retrain_matches_an_independent_training_run():
    progress = []
    result = retrain(3, 8, num_kernels=2, learning_rate=0.03, epochs=5, restarts=2, seed=1,
                     on_epoch=lambda done, total: progress.append((done, total)))
    assert progress == [(k, 10) for k in range(1, 11)]
    split = train_test_split_pair(3, 8, seed=1)
    runs = [train(question1_model(2, seed=s), split, epochs=5, learning_rate=0.03, seed=s) for s in (1, 2)]
    best = min(runs, key=lambda h: h.train_loss[-1])
    assert result.history.as_dict() == best.as_dict()
    assert result.test_accuracy == np.mean(best.model.predict(split.x_test) == split.y_test)
    assert (result.train_size, result.test_size) == (len(split.y_train), len(split.y_test))


def test_result_text_shows_both_accuracies():
    assert percent(0.98888) == "98.9 %" and percent(1.0) == "100.0 %"
    result = retrain(0, 1, epochs=2, restarts=1)
    html = result_html(result)
    assert percent(result.test_accuracy) in html and percent(result.train_accuracy) in html
    assert "0 vs 1" in html


def test_explorer_retrains_when_train_is_clicked():
    explorer = TrainingExplorer(epochs=2, restarts=1, train_now=False)
    assert explorer.state is None and "Train" in explorer.summary.value
    explorer.first_digit.value, explorer.second_digit.value = 3, 8
    explorer.num_kernels.value, explorer.epochs.value = 4, 3
    explorer.train_button.click()
    state = explorer.state
    assert (state.first, state.second, state.num_kernels, state.epochs) == (3, 8, 4, 3)
    assert explorer.progress.value == explorer.progress.max == 3
    assert percent(state.test_accuracy) in explorer.summary.value
    assert explorer.curves.value[:8] == b"\x89PNG\r\n\x1a\n"
    expected = train_best_of(train_test_split_pair(3, 8), num_kernels=4, restarts=1, epochs=3)
    assert state.history.as_dict() == expected.as_dict()
    assert not explorer.train_button.disabled


def test_explorer_refuses_one_digit_twice_without_raising():
    explorer = TrainingExplorer(epochs=1, restarts=1, train_now=False)
    explorer.second_digit.value = explorer.first_digit.value
    explorer.train_button.click()
    assert explorer.state is None and "two different digits" in explorer.summary.value


def test_every_control_and_output_has_a_css_class():
    explorer = TrainingExplorer(train_now=False)
    for name in ("first_digit", "second_digit", "num_kernels", "learning_rate", "epochs",
                 "train_button", "progress", "curves", "summary"):
        assert f"cnnlib-training-{name.replace('_', '-')}" in getattr(explorer, name)._dom_classes


def test_learning_rate_control_holds_exact_rates():
    """No snapping: the rate the control shows is the rate the training uses (0.03, not 0.0316)."""
    explorer = TrainingExplorer(train_now=False)
    assert explorer.learning_rate.value == 0.03 and explorer.learning_rate.label == "0.03"
    assert [value for _, value in explorer.learning_rate.options] == [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]


def _png_size(png):
    import struct
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_curves_shown_at_natural_size_and_rendered_at_twice_the_pixels():
    explorer = TrainingExplorer(epochs=2, restarts=1)
    width, height = _png_size(explorer.curves.value)
    shown = (int(explorer.curves.width), int(explorer.curves.height))
    assert (width, height) == (2 * shown[0], 2 * shown[1])         # crisp at device-pixel ratio 2
    fig = training_curves_figure(explorer.state.history, size=(6.4, 2.4))
    assert shown == (round(6.4 * fig.dpi), round(2.4 * fig.dpi))  # the figure's own size: never stretched
    plt.close(fig)
    assert explorer.curves.layout.max_width == "100%"
    assert not explorer.curves.tooltip      # the static site's widget manager cannot draw an Image with one


def test_train_moves_the_progress_bar_epoch_by_epoch():
    explorer = TrainingExplorer(epochs=3, restarts=2, train_now=False)
    seen = []
    explorer.progress.observe(lambda change: seen.append(change["new"]), names="value")
    explorer.train_button.click()
    assert seen == [1, 2, 3, 4, 5, 6] and explorer.progress.max == 6


def test_show_draws_a_given_result_without_training():
    result = retrain(3, 8, epochs=2, restarts=1)
    explorer = TrainingExplorer(train_now=False)
    explorer.show(result)
    assert explorer.summary.value == result_html(result) and explorer.state is None
    assert _png_size(explorer.curves.value)[0] == 2 * int(explorer.curves.width)


def _fake_summary(pairs, models):
    from cnnlib.experiments import Summary
    return {pair: {m: Summary((0.9 + 0.01 * k, 0.95, 1.0 - 0.01 * k)) for k, m in enumerate(models)} for pair in pairs}


def test_controls_figure_draws_a_bar_per_pair_and_model_at_the_mean():
    from cnnlib.figures.training import controls_figure
    models = ("trained", "frozen", "logistic")
    summary = _fake_summary([(0, 1), (3, 8)], models)
    fig = controls_figure(summary, [(0, 1), (3, 8)], models)
    bars = fig.axes[0].patches
    assert len(bars) == 6
    np.testing.assert_allclose(sorted(b.get_height() for b in bars),
                               sorted(100 * summary[p][m].mean for p in summary for m in models))
    assert len({b.get_hatch() for b in bars}) == 3     # not by colour alone
    plt.close(fig)


def test_all_pairs_figure_writes_each_gap_in_its_cell():
    from cnnlib.figures.training import all_pairs_figure
    from cnnlib.experiments import Summary
    summary = {(a, b): {"trained": Summary((0.95,)), "frozen": Summary((0.9,)), "logistic": Summary((0.97,))}
               for a in range(10) for b in range(a + 1, 10)}
    summary[(3, 8)]["frozen"] = Summary((0.8,))
    fig = all_pairs_figure(summary)
    left, right = fig.axes[0], fig.axes[1]
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in left.texts}
    assert len(texts) == 45 and texts[(3, 7)] == "+15" and texts[(0, 0)] == "+5"   # row 3, column "8"
    assert all(t.get_text() == "-2" for t in right.texts)
    plt.close(fig)


def test_learning_rate_figure_has_one_line_per_rate(short_history):
    from cnnlib.figures.training import learning_rate_curves_figure
    fig = learning_rate_curves_figure({0.3: short_history, 0.03: short_history})
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 2]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["learning rate 0.03", "learning rate 0.3"]
    plt.close(fig)
