"""Named run profiles: what each notebook and ``python -m dncnn train`` do at ``paper``, ``quick`` or ``smoke`` size.

``paper`` is the authors' recipe (GPU work), ``quick`` a CPU run of minutes whose numbers are honest
but far from the paper's, ``smoke`` a seconds-long run for the tests. ``paper-blind`` is the authors'
blind DnCNN-B recipe (GPU work). ``ablation`` (CPU) and ``ablation-gpu`` are the bases of the named
runs of the paper's Fig. 2 (residual learning and batch norm on and off, Adam and SGD:
:mod:`dncnn.commands.ablation`).

Sources of the numbers: the paper is Zhang et al., "Beyond a Gaussian Denoiser", IEEE TIP 26(7), 2017
(arXiv:1608.03981), Section IV-A; the authors' code is ``cszn/DnCNN``, ``TrainingCodes/`` (the
MatConvNet ``DnCNN_TrainingCodes_v1.0`` and the Keras ``dncnn_keras/main_train.py``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Every size and hyperparameter of one run of the study."""

    name: str
    # patches (notebook 01)
    train_images: int | None  # first N of Train400; None = all 400
    patch_size: int = 40
    stride: int = 10
    patch_seed: int = 0
    # model and training (notebook 02)
    depth: int = 17
    filters: int = 64
    bn_momentum: float = 0.9
    sigma: float = 25.0  # training noise level (0-255 scale)
    batch_size: int = 128
    epochs: int = 50
    steps_per_epoch: int | None = None  # None = one pass over all patches
    lr_schedule: tuple[tuple[int, float], ...] = ((0, 1e-3), (30, 1e-4))  # (first epoch, rate)
    train_seed: int = 0
    max_minutes: float | None = None
    deterministic: bool = False  # TensorFlow op determinism (bit-identical reruns on CPU)
    # True: training this profile is GPU work; on a machine without an accelerator notebook 02 times
    # its first steps, states the estimate and loads the shipped weights instead (unless asked to
    # train), and notebook 05 checks the committed full DnCNN-3 table on its first images
    accelerator_only: bool = False
    steps_per_execution: int = 1  # training steps per compiled call (more on a GPU: fewer dispatches)
    # the network and its optimizer (the paper's Fig. 2 turns the first two off; DnCNN-B has depth 20)
    residual: bool = True  # the network predicts the noise, output = input - prediction; False: it outputs the image
    batch_norm: bool = True  # conv+BN+ReLU in layers 2..depth-1; False: conv(+bias)+ReLU
    optimizer: str = "adam"  # "adam" (the authors' code and this project's runs) or "sgd" (the paper's text)
    lr_decay: str = "step"  # "step": each lr_schedule rate holds until the next; "exponential": log-linear between them
    momentum: float = 0.9  # SGD only: the paper's and MatConvNet's 0.9
    weight_decay: float = 0.0  # L2 on the convolution kernels, added to the gradient as MatConvNet does (SGD: 1e-4)
    # "mse": mean squared error over pixels and batch (Adam does not care about the scale); "half_sum":
    # the authors' vl_nnloss.m, half the squared error summed over a patch, averaged over the batch,
    # the scale for which the paper's SGD learning rates (1e-1 to 1e-4) were set
    loss: str = "mse"
    # MatConvNet's gradient clipping (DnCNN_train.m, "to prevent exploding gradients in the beginning"):
    # theta; each element of the batch-summed gradient is clipped to +-theta / learning rate. None: off
    gradient_clip: float | None = None
    init: str = "orthogonal"  # "orthogonal" (the authors' Keras code) or "matconvnet" (their MatConvNet init)
    # noise: a fixed sigma, or (DnCNN-B) a level drawn uniformly from sigma_range for every patch
    sigma_range: tuple[float, float] | None = None  # (low, high) on the 0-255 scale; None: every patch at sigma
    # validation after every epoch (dncnn.training.validation): central crops of Set5 in grey
    validation_images: int = 5  # first N of Set5's 5 images (0: no validation)
    validation_crop: int = 224  # side of each image's central crop (Set5's smallest side is 228)
    validation_sigmas: tuple[float, ...] | None = None  # None: (sigma,); DnCNN-B: (15, 25, 50)
    validation_seed: int = 0
    # analysis (notebook 03)
    hist_batches: int = 2
    stats_batches: int = 50
    # evaluation (notebook 04)
    eval_sets: tuple[str, ...] = ("BSD68", "Set12")
    eval_sigmas: tuple[float, ...] = (25.0,)
    eval_images: int | None = None  # first N images of each set; None = all
    eval_crop: int | None = None  # evaluate on the central crop of this size; None = whole image
    eval_blind: bool = True  # notebook 04 also runs the authors' DnCNN-B (notebook 06 runs it at every sigma anyway)
    eval_seed: int = 0
    # three tasks (notebook 05): the authors' DnCNN-3 and the colour row
    tasks_images: int | None = None  # first N images of each set; None = all
    tasks_crop: int | None = None  # central square of this side (a multiple of 24); None = whole image
    colour_images: int | None = None  # first N LIVE1 images for CDnCNN-B against colour BM3D; None = all 29
    colour_crop: int | None = None  # central square of this side for the colour row; None = whole image
    # the colour table (notebook 05): a subset of the committed CBSD68 table (results/colour) rerun and checked
    colour_table_images: int = 1  # first N CBSD68 images, whole (so that their rows are the committed table's)
    colour_table_sigmas: tuple[float, ...] = (25.0,)  # noise levels rerun (0-255 scale), of those the committed table holds
    colour_table_bm3d: bool = True  # rerun CBM3D too (seconds per image), not only CDnCNN-B
    # noise levels (notebook 06): a subset of the committed grid (results/noise-levels) rerun and checked
    noise_images: int = 2  # first N BSD68 images, whole (so that their rows are the committed table's)
    noise_sigmas: tuple[float, ...] = (25.0, 65.0)  # true noise levels rerun (0-255 scale)
    noise_models: tuple[str, ...] | None = None  # rows rerun (keys of dncnn/model/catalog.py); None = every row of the grid
    noise_clean_photos: int = 3  # scikit-image photos put through the denoise command's default path (7 bundled)

    def learning_rate(self, epoch: int) -> float:
        """Learning rate of a (0-based) epoch: under ``lr_decay="step"`` the rate of the last
        ``lr_schedule`` entry that has started; under ``"exponential"`` the log-linear interpolation
        between the entries around ``epoch`` (MATLAB's ``logspace``), the last rate after the last entry."""
        rate = self.lr_schedule[0][1]
        for (start, value), (end, after) in zip(self.lr_schedule, self.lr_schedule[1:] + ((None, None),)):
            if epoch < start:
                break
            rate = value
            if self.lr_decay == "exponential" and end is not None and epoch < end:
                return float(value * (after / value) ** ((epoch - start) / (end - start)))
        return rate

    def noise_label(self) -> str:
        """``"sigma 25"`` or, for a blind profile, ``"sigma in [0, 55]"``."""
        if self.sigma_range is None:
            return f"sigma {self.sigma:g}"
        return f"sigma in [{self.sigma_range[0]:g}, {self.sigma_range[1]:g}]"

    def model_family(self) -> str:
        """``"DnCNN-B"`` for a blind profile, else ``"DnCNN-S"``."""
        return "DnCNN-B" if self.sigma_range is not None else "DnCNN-S"

    def validate(self) -> "Profile":
        """Return the profile if every size and level can train; else ``ValueError`` naming the field."""
        checks = {
            "batch_size": (self.batch_size >= 1, ">= 1"),
            "epochs": (self.epochs >= 1, ">= 1"),
            "sigma": (self.sigma >= 0, ">= 0 (0-255 scale)"),
            "steps_per_epoch": (self.steps_per_epoch is None or self.steps_per_epoch >= 1, ">= 1 or None"),
            "steps_per_execution": (self.steps_per_execution >= 1, ">= 1"),
            "depth": (self.depth >= 2, ">= 2"),
            "max_minutes": (self.max_minutes is None or self.max_minutes > 0, "> 0 or None"),
            "optimizer": (self.optimizer in ("adam", "sgd"), "'adam' or 'sgd'"),
            "lr_decay": (self.lr_decay in ("step", "exponential"), "'step' or 'exponential'"),
            "loss": (self.loss in ("mse", "half_sum"), "'mse' or 'half_sum'"),
            "init": (self.init in ("orthogonal", "matconvnet"), "'orthogonal' or 'matconvnet'"),
            "gradient_clip": (self.gradient_clip is None or (self.gradient_clip > 0 and self.optimizer == "sgd"),
                              "None or > 0 (SGD only)"),
            "weight_decay": (self.weight_decay >= 0, ">= 0"),
            "sigma_range": (self.sigma_range is None or 0 <= self.sigma_range[0] <= self.sigma_range[1],
                            "None or (low, high) with 0 <= low <= high"),
            "validation_images": (0 <= self.validation_images <= 5, "in [0, 5] (Set5)"),
            "validation_crop": (1 <= self.validation_crop <= 228, "in [1, 228] (Set5's smallest side)"),
            "colour_table_images": (0 <= self.colour_table_images <= 68, "in [0, 68] (CBSD68)"),
        }
        for name, (ok, allowed) in checks.items():
            if not ok:
                raise ValueError(f"{name} must be {allowed}. Received: {name}={getattr(self, name)}")
        return self

    def to_dict(self) -> dict:
        """Plain-dict form, for JSON sidecars."""
        return dataclasses.asdict(self)


PROFILES: dict[str, Profile] = {
    "paper": Profile(
        name="paper",
        train_images=None,
        epochs=50,
        lr_schedule=((0, 1e-3), (30, 1e-4)),
        accelerator_only=True,
        stats_batches=50,  # 6,400 patches per model: about 80 s on a 2-core CPU
        eval_sigmas=(15.0, 25.0, 50.0),
        colour_table_images=2,  # CBM3D on 2 whole CBSD68 images: under a minute on 2 cores
        colour_table_sigmas=(15.0, 50.0),
        noise_images=4,  # about 2.5 minutes on 2 cores (BM3D at 15 and 50 cached by notebook 04)
        noise_sigmas=(5.0, 15.0, 50.0, 75.0),
        noise_clean_photos=7,
    ),
    "quick": Profile(
        name="quick",
        train_images=None,
        batch_size=32,
        epochs=4,  # 200 steps: about 5 minutes on a 2-core CPU, so that make reproduce stays under 20 minutes
        steps_per_epoch=50,
        lr_schedule=((0, 1e-3),),
        deterministic=True,
        stats_batches=10,
        validation_crop=96,  # 4 validations of 5 crops: seconds
        eval_sigmas=(25.0,),
        eval_blind=False,  # DnCNN-B's 80 images cost 105 s; the paper profile and notebook 06 have its rows
        tasks_images=2,  # notebook 05 in about a minute on 2 cores
        tasks_crop=192,
        colour_images=2,
        colour_crop=192,
        noise_images=1,  # notebook 06 in about a minute on 2 cores: every row at sigma 25 and 65 on one image
    ),
    "smoke": Profile(
        name="smoke",
        train_images=4,
        depth=5,  # the notebooks' mechanics at a fiftieth of DnCNN-S's work per step (make test runs them)
        filters=16,
        batch_size=8,
        epochs=2,
        steps_per_epoch=3,
        lr_schedule=((0, 1e-3), (1, 1e-4)),
        deterministic=True,
        hist_batches=2,
        stats_batches=2,  # the shipped model's statistics take batches of its own size (128)
        validation_images=2,
        validation_crop=32,
        eval_sigmas=(25.0,),
        eval_images=2,
        eval_crop=64,
        tasks_images=1,
        tasks_crop=96,
        colour_images=1,
        colour_crop=96,
        colour_table_bm3d=False,  # CDnCNN-B on one whole CBSD68 image: a second
        noise_images=1,  # one whole image, one network: seconds
        noise_sigmas=(25.0,),
        noise_models=("noisy", "dncnn_b_gray_blind"),
        noise_clean_photos=1,
    ),
    # DnCNN-B, the authors' blind recipe. Paper, Section IV-A: "For DnCNN-B, we set the range of the
    # noise levels as sigma in [0, 55] and the patch size as 50x50. 128x3,000 patches are cropped to
    # train the model"; the depth is 20 for DnCNN-B (and DnCNN-3), 17 for DnCNN-S; 50 epochs,
    # mini-batch 128. The authors' released DnCNN-B (model/GD_Gray_Blind.mat) has 20 convolutions
    # (dncnn.model.reference reads it). Stride 7 with the four scales of our patch recipe gives
    # 386,688 = 128 x 3,021 patches, within 1 % of the paper's 128 x 3,000 (stride 10 would give
    # 201,600). The optimizer and schedule are the `paper` profile's, the authors' released code's (Adam, 1e-3 then 1e-4
    # from epoch 31: the authors' code; the paper's text says SGD, see the ablation).
    "paper-blind": Profile(
        name="paper-blind",
        train_images=None,
        patch_size=50,
        stride=7,
        depth=20,
        sigma=25.0,  # not a training level: the nominal level of the figures of notebooks 03 and 04
        sigma_range=(0.0, 55.0),
        epochs=50,
        lr_schedule=((0, 1e-3), (30, 1e-4)),
        accelerator_only=True,
        validation_sigmas=(15.0, 25.0, 50.0),
        eval_sigmas=(15.0, 25.0, 50.0),
    ),
    # The CPU base of the paper's Fig. 2 (python -m dncnn ablation): the full DnCNN-S (17 layers of
    # 64 filters) on quick's patches (all of Train400, 40x40 at stride 10), batch 32, Adam 1e-3;
    # an "epoch" is 50 steps (1,600 patches) so that validation runs every 50 steps; 8 of them,
    # 400 steps, 12,800 patches: 5.4 % of one epoch of the paper (238,336 patches), about 8 minutes
    # per run on a free 2-core CPU (about 28 patches/s), over 40 on the shared one it ran on.
    "ablation": Profile(
        name="ablation",
        train_images=None,
        batch_size=32,
        epochs=8,
        steps_per_epoch=50,
        lr_schedule=((0, 1e-3),),
        deterministic=True,
    ),
    # The GPU base of the ablation: the paper's data and batch (238,336 patches, 128), an "epoch" of
    # 266 steps = 1/7 of a pass (1,862 steps), so validation runs 7 times a pass; 7 of them = one pass.
    # Adam keeps 1e-3 (the first 30 passes of the `paper` profile's schedule); the SGD runs get the paper's
    # schedule in passes, 1e-1 decayed exponentially to 1e-4 over 50 passes (= 343 of these epochs),
    # of which they run the start (dncnn.commands.ablation).
    "ablation-gpu": Profile(
        name="ablation-gpu",
        train_images=None,
        epochs=7,
        steps_per_epoch=266,
        lr_schedule=((0, 1e-3),),
        accelerator_only=True,
        steps_per_execution=8,
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; ``ValueError`` naming the allowed ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}: allowed are {', '.join(PROFILES)}. Received: {name!r}") from None


def run_name(profile: Profile) -> str:
    """Name of a profile's training run folder: the profile's name, or ``<name>-sigma<N>`` when its
    training sigma differs from the registered profile's (``paper-sigma15`` for
    ``replace(get_profile("paper"), sigma=15)``)."""
    registered = PROFILES.get(profile.name)
    default = registered.sigma if registered is not None else Profile.sigma
    return profile.name if profile.sigma == default else f"{profile.name}-sigma{profile.sigma:g}"
