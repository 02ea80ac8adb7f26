#!/usr/bin/env python3
"""Train the digits subnet's classifier and export it to ONNX.

Data: scikit-learn's bundled `load_digits` (1797 8x8 handwritten digits, pixel
values 0..16). A fixed stratified 80/20 split (random_state=0) gives the training
set and the held-out set. The model is a small MLPClassifier with a fixed
random_state; training is single-threaded so repeated runs give identical weights.

Writes, next to this script:
  model.onnx    input  "input"         float32 [N, 64]  (raw pixels 0..16)
                output "label"         int64   [N]
                output "probabilities" float32 [N, 10]
  heldout.json  {"inputs": [[64 floats], ...], "labels": [int, ...]}

Usage (versions pinned in requirements.txt):
  python3 -m venv /tmp/mindos-venv
  /tmp/mindos-venv/bin/pip install -r subnets/models/digits/requirements.txt
  /tmp/mindos-venv/bin/python subnets/models/digits/train.py
"""

import os

# Single-threaded BLAS before numpy loads, so floating-point sums happen in one order.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

HERE = Path(__file__).resolve().parent
MODEL_PATH = HERE / "model.onnx"
HELDOUT_PATH = HERE / "heldout.json"

SPLIT_SEED = 0
MODEL_SEED = 0
TEST_SIZE = 0.2
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def train():
    digits = load_digits()
    x = digits.data.astype(np.float32)  # values 0..16, exactly representable
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_SIZE, stratify=y, random_state=SPLIT_SEED
    )
    model = MLPClassifier(
        hidden_layer_sizes=(32,),
        alpha=1e-3,
        max_iter=1000,
        random_state=MODEL_SEED,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # fail rather than ship an unconverged model
        model.fit(x_train, y_train)
    return model, x_test, y_test


def export(model):
    onx = convert_sklearn(
        model,
        initial_types=[("input", FloatTensorType([None, 64]))],
        options={id(model): {"zipmap": False}},
        target_opset=TARGET_OPSET,
    )
    # Fixed metadata: nothing in the file depends on the time, the host or the run.
    onx.doc_string = ""
    onx.graph.doc_string = ""
    onx.model_version = 1
    onx.graph.name = "mindos_digits_mlp"
    # Name the batch dimension (the converter leaves it anonymous).
    for value in list(onx.graph.input) + list(onx.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    # The converter names the outputs "label" and "probabilities"; check, so a
    # converter upgrade that renames them fails here, not on a miner.
    assert [i.name for i in onx.graph.input] == ["input"], onx.graph.input
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"], onx.graph.output
    data = onx.SerializeToString(deterministic=True)
    MODEL_PATH.write_bytes(data)
    return data


def write_heldout(x_test, y_test):
    inputs = [[float(v) for v in row] for row in x_test]
    labels = [int(v) for v in y_test]
    # One sample per line: readable diffs, still small.
    lines = ",\n".join(json.dumps(row, separators=(",", ":")) for row in inputs)
    text = '{"inputs":[\n' + lines + '\n],\n"labels":' + json.dumps(labels, separators=(",", ":")) + "}\n"
    assert json.loads(text) == {"inputs": inputs, "labels": labels}
    HELDOUT_PATH.write_text(text)


def verify_onnxruntime(data, x_test, y_test, sk_pred, sk_proba):
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed: skipping the ONNX check")
        return
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    label, proba = sess.run(["label", "probabilities"], {"input": x_test})
    acc = float((label == y_test).mean())
    print(f"onnxruntime {ort.__version__} held-out accuracy: {acc:.4f} ({int((label == y_test).sum())}/{len(y_test)})")
    print(f"  labels equal to sklearn's: {int((label == sk_pred).sum())}/{len(y_test)}")
    print(f"  max |probability - sklearn|: {float(np.abs(proba - sk_proba).max()):.2e}")
    assert label.dtype == np.int64 and label.shape == (len(y_test),)
    assert proba.dtype == np.float32 and proba.shape == (len(y_test), 10)
    assert (label == sk_pred).all(), "onnxruntime and sklearn disagree on a held-out label"


def main():
    model, x_test, y_test = train()
    sk_pred = model.predict(x_test)
    sk_proba = model.predict_proba(x_test)
    acc = float((sk_pred == y_test).mean())
    print(f"sklearn held-out accuracy: {acc:.4f} ({int((sk_pred == y_test).sum())}/{len(y_test)}), "
          f"{model.n_iter_} iterations")

    data = export(model)
    write_heldout(x_test, y_test)
    verify_onnxruntime(data, x_test, y_test, sk_pred, sk_proba)

    print(f"wrote {MODEL_PATH.name}: {len(data)} bytes")
    print(f"  sha256      {hashlib.sha256(data).hexdigest()}")
    print(f"  blake2b-256 {hashlib.blake2b(data, digest_size=32).hexdigest()}")
    held = HELDOUT_PATH.read_bytes()
    print(f"wrote {HELDOUT_PATH.name}: {len(held)} bytes, {len(y_test)} samples")
    print(f"  sha256      {hashlib.sha256(held).hexdigest()}")


if __name__ == "__main__":
    main()
