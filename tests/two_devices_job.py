"""Two virtual CPU devices against one (tests/test_training_train.py::test_two_devices_train_the_weights_of_one_and_resume):
``python tests/two_devices_job.py FOLDER`` on Keras' JAX backend with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``, started beside the suite (conftest.py)."""

import json, sys
sys.modules["tensorflow"] = None  # as on the GPU machine
from dataclasses import replace
import keras, numpy as np
from dncnn.files.atomic import save_npy
from dncnn.profiles import get_profile
from dncnn.training.train import train
tmp = sys.argv[1]

class Where(keras.callbacks.Callback):  # on how many devices the weights live while training
    devices = set()
    def on_train_batch_end(self, batch, logs=None):
        Where.devices.add(len(self.model.trainable_weights[0].value.sharding.device_set))

profile = replace(get_profile("smoke"), depth=3, filters=4, epochs=2, steps_per_epoch=2, batch_size=4,
                  validation_images=1, validation_crop=16)
patches = save_npy(tmp + "/p.npy", np.random.default_rng(0).integers(0, 256, (32, 40, 40), dtype=np.uint8))
train(profile, patches_path=patches, run_dir=tmp + "/one", verbose=0)
train(replace(profile, epochs=1), patches_path=patches, run_dir=tmp + "/two", verbose=0, devices=2, callbacks=[Where()])
two = train(profile, patches_path=patches, run_dir=tmp + "/two", resume=True, verbose=0, devices="all")
print(json.dumps({"devices": keras.distribution.list_devices(), "sharded_over": sorted(Where.devices),
                  "sidecar_devices": two["devices"], "epochs": two["epochs"], "val_psnr": two["validation"]["final_psnr"]}))
