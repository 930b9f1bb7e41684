"""What notebook 05 runs for a profile: its images and crops, or a check of the committed full table."""

from __future__ import annotations


def plan_tasks(profile, *, full: bool | None = None, accelerator: bool | None = None, check_images: int = 2) -> dict:
    """What notebook 05 runs for ``profile``: its images and crops, or a check of the committed table.

    A profile that evaluates every image (``tasks_images=None``, ``paper``) and is accelerator work
    runs the whole table on a machine with a GPU. Without one (unless ``full=True``) it reruns the
    first ``check_images`` whole images of each set (and 1 colour image) and compares them with the
    committed full table in ``results/dncnn3/`` (:func:`check_against_table`): the full table took
    about 27 + 74 minutes on 2 shared cores (BSD100 and Urban100 the 74; docs/dncnn3.md lists the
    runs), and a laptop run of the paper profile must fit in 45.

    Returns:
        ``{"images", "crop", "colour_images", "colour_crop", "check_table", "reason"}``;
        ``check_table`` is the committed per-image CSV to compare with, or None.
    """
    from ... import config
    from ...runtime.device import has_accelerator

    plan = {"images": profile.tasks_images, "crop": profile.tasks_crop, "colour_images": profile.colour_images,
            "colour_crop": profile.colour_crop, "check_table": None,
            "reason": f"the profile's images ({profile.tasks_images or 'all'} per set, crop {profile.tasks_crop or 'none'})"}
    whole = profile.tasks_images is None and profile.tasks_crop is None
    if not whole or full is True:
        return plan
    accelerator = has_accelerator() if accelerator is None else accelerator
    if full is None and (accelerator or not profile.accelerator_only):
        return plan
    table = config.TASKS_TABLE_DIR / "tasks_per_image.csv"
    if not table.exists():
        raise FileNotFoundError(f"{table} is missing (it is committed; `python -m dncnn tasks --colour-images -1` "
                                f"remakes it), or set full_tasks = True to run every image here")
    plan.update(images=check_images, colour_images=1, check_table=str(table),
                reason=(f"every image took about 100 min on 2 cores and this machine has no GPU: the first {check_images} "
                        f"whole images of each set (1 colour image) are rerun and compared with the committed full table "
                        f"{table.relative_to(config.PROJECT_ROOT)}; full_tasks = True runs every image"))
    return plan
