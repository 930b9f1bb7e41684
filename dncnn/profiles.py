"""Named run profiles: what each notebook and ``python -m dncnn train`` do at ``paper``, ``quick`` or ``smoke`` size.

``paper`` is the authors' recipe (GPU work), ``quick`` a CPU run of minutes whose numbers are honest
but far from the paper's, ``smoke`` a seconds-long run for the tests.
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
    # analysis (notebook 03)
    hist_batches: int = 2
    stats_batches: int = 50
    # evaluation (notebook 04)
    eval_sets: tuple[str, ...] = ("BSD68", "Set12")
    eval_sigmas: tuple[float, ...] = (25.0,)
    eval_images: int | None = None  # first N images of each set; None = all
    eval_crop: int | None = None  # evaluate on the central crop of this size; None = whole image
    eval_seed: int = 0
    # three tasks (notebook 05): the authors' DnCNN-3 and the colour row
    tasks_images: int | None = None  # first N images of each set; None = all
    tasks_crop: int | None = None  # central square of this side (a multiple of 24); None = whole image
    colour_images: int | None = None  # first N LIVE1 images for CDnCNN-B against colour BM3D; None = all 29
    colour_crop: int | None = None  # central square of this side for the colour row; None = whole image
    # noise levels (notebook 06): a subset of the committed grid (results/noise-levels) rerun and checked
    noise_images: int = 2  # first N BSD68 images, whole (so that their rows are the committed table's)
    noise_sigmas: tuple[float, ...] = (25.0, 65.0)  # true noise levels rerun (0-255 scale)
    noise_methods: tuple[str, ...] | None = None  # rows rerun (table labels); None = every row of the grid
    noise_clean_photos: int = 3  # scikit-image photos put through the denoise command's default path (7 bundled)

    def learning_rate(self, epoch: int) -> float:
        """Learning rate of a (0-based) epoch under the step schedule."""
        rate = self.lr_schedule[0][1]
        for start, value in self.lr_schedule:
            if epoch >= start:
                rate = value
        return rate

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
        noise_images=4,  # about 2.5 minutes on 2 cores (BM3D at 15 and 50 cached by notebook 04)
        noise_sigmas=(5.0, 15.0, 50.0, 75.0),
        noise_clean_photos=7,
    ),
    "quick": Profile(
        name="quick",
        train_images=None,
        batch_size=32,
        epochs=4,  # 200 steps: 6 to 8 minutes on a 2-core CPU, so that make reproduce stays under 25 minutes
        steps_per_epoch=50,
        lr_schedule=((0, 1e-3),),
        deterministic=True,
        stats_batches=10,
        eval_sigmas=(25.0,),
        tasks_images=2,  # notebook 05 in about a minute on 2 cores
        tasks_crop=192,
        colour_images=2,
        colour_crop=192,
        noise_images=1,  # notebook 06 in about a minute on 2 cores: every row at sigma 25 and 65 on one image
    ),
    "smoke": Profile(
        name="smoke",
        train_images=4,
        batch_size=8,
        epochs=2,
        steps_per_epoch=3,
        lr_schedule=((0, 1e-3), (1, 1e-4)),
        deterministic=True,
        hist_batches=2,
        stats_batches=3,
        eval_sigmas=(25.0,),
        eval_images=2,
        eval_crop=64,
        tasks_images=1,
        tasks_crop=96,
        colour_images=1,
        colour_crop=96,
        noise_images=1,  # one whole image, one network: seconds
        noise_sigmas=(25.0,),
        noise_methods=("noisy input", "DnCNN-B authors' weights"),
        noise_clean_photos=1,
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
