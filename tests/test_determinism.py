"""Same inputs, same tables: two runs of the functions that make every table agree byte for byte,
the first with BM3D in two processes, the second in one.

The pieces have their own tests (BM3D's byte-identity and its parallel processes in
test_evaluation_denoisers.py); this one runs them together, twice, as the notebooks do.
"""

from dataclasses import replace

import pytest

from dncnn.evaluation import protocol as evaluate
from dncnn.evaluation.denoisers import BM3DDenoiser, IdentityDenoiser


def _tables_of_one_run(root, raw_dir, *, bm3d_workers):
    """Every table the notebooks write, made by the same package calls, at a small model size, with
    BM3D in ``bm3d_workers`` processes."""
    keras = pytest.importorskip("keras")
    from dncnn.analysis import statistics as analysis
    from dncnn.evaluation.denoisers import KerasDenoiser
    from dncnn.data.patches import patch_count_table, prepare_patches
    from dncnn.profiles import get_profile
    from dncnn.model.weights import load_model
    from dncnn.training.train import train

    profile = replace(get_profile("smoke"), depth=5, filters=16, validation_images=0)
    patches, sidecar = prepare_patches(out_path=root / "patches.npy", train_images=profile.train_images, batch_size=profile.batch_size,
                                       seed=profile.patch_seed, raw_dir=raw_dir)
    train(profile, patches_path=root / "patches.npy", run_dir=root / "run", verbose=0, tensorboard=False)
    model = load_model(root / "run" / "model.keras")
    batches = analysis.sample_batches(patches, n_batches=2, batch_size=profile.batch_size, sigma=profile.sigma, seed=1)
    denoisers = [IdentityDenoiser(), BM3DDenoiser(cache_dir=root / "bm3d", workers=bm3d_workers),
                 KerasDenoiser(model, name="ours", trained_sigma=profile.sigma)]
    per_image = evaluate.evaluate_sets(denoisers, sets=profile.eval_sets, sigmas=profile.eval_sigmas, images=profile.eval_images,
                                       crop=profile.eval_crop, seed=profile.eval_seed, raw_dir=raw_dir, progress=False)
    keras.config.set_dtype_policy("float32")
    return {
        "patch_counts": patch_count_table(sidecar).to_csv(index=False),
        "batch_statistics": analysis.batch_statistics(batches).to_csv(index=False),
        "residual_statistics": analysis.residual_statistics(analysis.residual_batches(batches)).to_csv(index=False),
        "bn_statistics": analysis.bn_input_statistics(model, patches, n_batches=2, batch_size=profile.batch_size,
                                                      sigma=profile.sigma, seed=1).to_csv(index=False),
        "per_image": per_image.drop(columns="seconds").to_csv(index=False),  # seconds are timings
        "summary": evaluate.summarize(per_image).to_csv(index=False),
        "weights": b"".join(w.tobytes() for w in model.get_weights()),
    }


@pytest.mark.slow
def test_two_runs_of_the_table_making_functions_give_identical_tables(raw_dir, tmp_path):
    first = _tables_of_one_run(tmp_path / "a", raw_dir, bm3d_workers=2)
    second = _tables_of_one_run(tmp_path / "b", raw_dir, bm3d_workers=1)  # parallelism changes nothing either
    for name in first:
        assert first[name] == second[name], name
    assert "BM3D" in first["summary"] and "ours" in first["summary"]
