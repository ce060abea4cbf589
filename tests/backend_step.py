"""Helper of test_training_backends.py, run in a subprocess (a Keras backend is fixed at import).

``PYTHONPATH=. python tests/backend_step.py FOLDER`` reads ``FOLDER/init/`` (generator and discriminator weights,
a batch), runs one GAN step with every generator-loss term on the backend of ``$KERAS_BACKEND``, and
writes ``FOLDER/<backend>.npz``: the step's loss terms and the models' weights after the update.
"""

import os
import sys
from pathlib import Path

import keras
import numpy as np

from srgan.training import TrainConfig, Trainer
from tests.conftest import TINY

folder = Path(sys.argv[1])
batch = np.load(folder / "init" / "batch.npz")
cfg = TrainConfig(
    phase="gan",
    out=str(folder / "run"),
    batch_size=len(batch["lr"]),
    hr_patch=batch["hr"].shape[1],
    learning_rate=1e-4,
    schedule="constant",
    num_blocks=TINY["num_blocks"],
    channels=TINY["channels"],
    pixel_loss="l1",
    pixel_weight=0.5,
    grid_weight=10.0,
    xla=False,
)
images = [np.zeros((cfg.hr_patch, cfg.hr_patch, 3), np.uint8)]  # unused: the batch is given
trainer = Trainer(cfg, images=images, quiet=True)
trainer.init_from(folder / "init" / "generator.weights.h5")
trainer.discriminator.load_weights(folder / "init" / "discriminator.weights.h5")
logs = {k: float(v) for k, v in trainer.train_step(batch["lr"], batch["hr"]).items()}
trainer._sync_variables()
out = {f"loss_{k}": v for k, v in logs.items()}
for prefix, model in (("g", trainer.generator), ("d", trainer.discriminator)):
    for i, w in enumerate(model.get_weights()):
        out[f"{prefix}{i}"] = w
np.savez(folder / f"{keras.backend.backend()}.npz", **out)
print(os.environ.get("KERAS_BACKEND"), logs)
