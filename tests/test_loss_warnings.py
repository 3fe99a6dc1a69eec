"""Loss shapes: MSE and L1 broadcast a target of another shape with PyTorch's warning, naming the
loss, both shapes, the broadcast shape and the fix; the binary cross-entropies refuse (as PyTorch
does); integer class labels against one score per class are refused by all. Following the advice
gives no warning and the intended value."""

import re
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.losses import L1Loss, l1_loss

PRED = np.array([[0.5], [1.0], [-2.0]], np.float32)  # (3, 1): one output unit
TARGET = np.array([1.0, 0.0, 2.0], np.float32)  # (3,)


def _no_warnings(f):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f()


# -- the classic bug: (N, 1) predictions against (N,) targets ---------------------------------
@pytest.mark.parametrize(
    "loss, per_element",
    [(nn.mse_loss, lambda d: d * d), (l1_loss, np.abs)],
    ids=["mse_loss", "l1_loss"],
)
def test_n1_against_n_warns_with_shapes_broadcast_shape_and_fix(loss, per_element):
    name = loss.__name__
    message = (
        rf"{name}: the prediction has shape \(3, 1\) but the target has shape \(3,\); they "
        r"broadcast to \(3, 3\), 9 differences for 3 predictions, so the loss is likely wrong: "
        r"use target.reshape\(3, 1\) or pred.squeeze\(1\)"
    )
    with pytest.warns(UserWarning, match=message):
        wrong = loss(mg.tensor(PRED), TARGET)
    # what PyTorch computes too: the mean over the 3 x 3 broadcast
    np.testing.assert_allclose(wrong.item(), per_element(PRED - TARGET).mean(), rtol=1e-6)
    right = per_element(PRED[:, 0] - TARGET).mean()
    assert abs(wrong.item() - right) > 0.1  # the bug the warning is about
    # both fixes it offers: no warning and the intended value
    a = _no_warnings(lambda: loss(mg.tensor(PRED), TARGET.reshape(3, 1)))
    b = _no_warnings(lambda: loss(mg.tensor(PRED).squeeze(1), TARGET))
    np.testing.assert_allclose([a.item(), b.item()], [right, right], rtol=1e-6)


def test_n_against_n1_warns_with_its_own_fix():
    with pytest.warns(
        UserWarning,
        match=r"shape \(3,\) but the target has shape \(3, 1\); they broadcast to \(3, 3\).*"
        r"use target.reshape\(3\) or target.squeeze\(1\)",
    ):
        nn.mse_loss(mg.tensor(TARGET), PRED)
    fixed = _no_warnings(lambda: nn.mse_loss(mg.tensor(TARGET), PRED.squeeze(1)))
    np.testing.assert_allclose(fixed.item(), ((TARGET - PRED[:, 0]) ** 2).mean(), rtol=1e-6)


def test_the_modules_warn_and_point_at_the_callers_line():
    for module in (nn.MSELoss(), L1Loss()):
        with pytest.warns(UserWarning, match=r"broadcast to \(3, 3\)") as record:
            module(mg.tensor(PRED), TARGET)
        assert record[0].filename == __file__  # not a line inside minigrad


def test_the_function_warning_points_at_the_callers_line():
    with pytest.warns(UserWarning) as record:
        nn.mse_loss(mg.tensor(PRED), TARGET)
    assert record[0].filename == __file__


def test_gradient_of_the_broadcast_loss_is_that_of_the_broadcast():
    pred = mg.tensor(PRED, requires_grad=True)
    with pytest.warns(UserWarning):
        nn.mse_loss(pred, TARGET).backward()
    expected = (2 * (PRED - TARGET) / 9).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(pred.grad.data, expected, rtol=1e-6)


def test_reduction_none_returns_the_broadcast_shape():
    with pytest.warns(UserWarning):
        assert nn.mse_loss(mg.tensor(PRED), TARGET, reduction="none").shape == (3, 3)


# -- a target repeated over predictions: allowed, with a warning and a way to say so ----------
def test_scalar_target_warns_and_full_like_silences_it():
    pred = mg.tensor([1.0, 2.0, 4.0])
    with pytest.warns(
        UserWarning,
        match=r"mse_loss: the prediction has shape \(3,\) but the target has shape \(\); the "
        r"target is broadcast to \(3,\), one target for several predictions; if that is not "
        r"what you meant, the loss is wrong: .*say so: mg.full_like\(pred, 0.0\)",
    ):
        warned = nn.mse_loss(pred, 0.0)
    explicit = _no_warnings(lambda: nn.mse_loss(pred, mg.full_like(pred, 0.0)))
    assert warned.item() == explicit.item() == pytest.approx(7.0)
    assert explicit.dtype == pred.dtype


def test_target_row_shared_by_a_batch_warns_and_broadcast_to_silences_it():
    pred = mg.tensor(np.arange(6.0).reshape(2, 3))
    row = np.array([1.0, 0.0, 1.0])
    with pytest.warns(UserWarning, match=r"mg.broadcast_to\(target, \(2, 3\)\)"):
        warned = l1_loss(pred, row)
    explicit = _no_warnings(lambda: l1_loss(pred, mg.broadcast_to(row, (2, 3))))
    assert warned.item() == explicit.item() == pytest.approx(np.abs(pred.data - row).mean())


def test_more_axes_warns():
    with pytest.warns(UserWarning, match=r"broadcast to \(1, 2\), more axes than the prediction"):
        nn.mse_loss(mg.zeros(2), [[1.0, 2.0]])


# -- refused --------------------------------------------------------------------------------
def test_shapes_that_do_not_broadcast_raise():
    with pytest.raises(
        ValueError,
        match=r"mse_loss: the prediction has shape \(4, 3\) but the target has shape \(4,\); "
        r"they do not broadcast: give the target the prediction's shape \(4, 3\)",
    ):
        nn.mse_loss(mg.zeros(4, 3), np.ones(4))


@pytest.mark.parametrize("batch", [4, 10])  # 10: the labels would broadcast against 10 classes
@pytest.mark.parametrize(
    "loss, name",
    [
        (nn.mse_loss, "pred"),
        (l1_loss, "pred"),
        (nn.binary_cross_entropy_with_logits, "logits"),
        (nn.sigmoid_cross_entropy, "logits"),
    ],
    ids=["mse", "l1", "bce-logits", "sigmoid-ce"],
)
def test_integer_labels_against_class_scores_are_refused_whatever_the_batch(loss, name, batch):
    labels = np.arange(batch) % 10
    where = getattr(loss, "__name__", "")
    match = (
        rf"{where}: the prediction has shape \({batch}, 10\) but the target has shape "
        rf"\({batch},\); the target looks like integer class labels: .*"
        rf"nn.one_hot\(target, 10\), or use nn.cross_entropy\({name}, target\)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an error, never just a warning
        with pytest.raises(ValueError, match=match):
            loss(mg.zeros(batch, 10), labels)
    # the advice: one-hot targets
    _no_warnings(lambda: loss(mg.zeros(batch, 10), nn.one_hot(labels, 10)))


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: nn.binary_cross_entropy(mg.full((3, 1), 0.5), TARGET.clip(0, 1)),
            r"binary_cross_entropy: the prediction has shape \(3, 1\) but the target has shape "
            r"\(3,\); they must be equal \(they broadcast to \(3, 3\), 9 differences for 3 "
            r"predictions\): use target.reshape\(3, 1\) or probs.squeeze\(1\)",
        ),
        (
            lambda: nn.binary_cross_entropy_with_logits(mg.zeros(3, 1), np.ones(3)),
            r"binary_cross_entropy_with_logits: .*\(3, 1\).*\(3,\).*broadcast to \(3, 3\).*"
            r"logits.squeeze\(1\)",
        ),
        (
            lambda: nn.binary_cross_entropy_with_logits(mg.zeros(3), 1.0),
            r"they must be equal \(the target is broadcast to \(3,\).*mg.full_like\(logits, 1.0\)",
        ),
        (
            lambda: nn.sigmoid_cross_entropy(mg.zeros((4, 2)), np.ones(4)),
            r"sigmoid_cross_entropy: the prediction has shape \(4, 2\) but the target has shape "
            r"\(4,\); they do not broadcast",
        ),
    ],
    ids=["bce", "bce-logits", "bce-logits-scalar", "sigmoid-ce"],
)
def test_binary_cross_entropies_refuse_other_shapes_as_pytorch(call, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=match):
            call()


def test_bce_advice_gives_the_right_value():
    probs = mg.tensor([[0.2], [0.9]])
    target = np.array([0.0, 1.0])
    fixed = _no_warnings(lambda: nn.binary_cross_entropy(probs, target.reshape(2, 1)))
    assert fixed.item() == pytest.approx(-(np.log(0.8) + np.log(0.9)) / 2, rel=1e-6)


@pytest.mark.parametrize(
    "call, kind, match",
    [
        (lambda: nn.mse_loss(mg.zeros(2), None), TypeError, "mse_loss: target: cannot make"),
        (lambda: l1_loss("ab", mg.zeros(2)), TypeError, "l1_loss: pred: cannot make"),
        (
            lambda: nn.binary_cross_entropy_with_logits(object(), mg.zeros(2)),
            TypeError,
            "binary_cross_entropy_with_logits: logits:",
        ),
        (lambda: l1_loss(mg.zeros(2), mg.zeros(2), "avg"), ValueError, "l1_loss: reduction"),
    ],
    ids=["none-target", "str-pred", "object-logits", "reduction"],
)
def test_bad_arguments_name_the_loss(call, kind, match):
    with pytest.raises(kind, match=match):
        call()


def test_same_shapes_never_warn_and_nan_propagates():
    pred = mg.tensor([1.0, np.nan])
    for loss in (nn.mse_loss, l1_loss):
        assert np.isnan(_no_warnings(lambda loss=loss: loss(pred, [1.0, 1.0])).item())
        assert _no_warnings(lambda loss=loss: loss(mg.tensor(PRED), PRED)).item() == 0.0


def test_l1_loss_values_and_gradient():
    pred = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    target = np.array([0.0, 0.0, 5.0])
    loss = _no_warnings(lambda: l1_loss(pred, target))
    assert loss.item() == pytest.approx(5 / 3)
    loss.backward()
    np.testing.assert_allclose(pred.grad.data, np.array([1.0, -1.0, -1.0]) / 3)
    assert l1_loss(pred, target, reduction="sum").item() == pytest.approx(5.0)
    assert L1Loss(reduction="none")(pred, target).shape == (3,)


def test_cross_entropy_keeps_its_own_shape_rules():
    with pytest.raises(ValueError, match=re.escape("expected 2 integer class labels")):
        nn.cross_entropy(mg.zeros(2, 3), np.zeros((2, 1), np.int64))
