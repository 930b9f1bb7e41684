"""The benchmark's baselines: a plain PyTorch DnCNN-S (the peer), and the authors' per-patch loop.

The PyTorch DnCNN has the same layers as ours: conv+ReLU, (depth-2) x conv(no bias)+BN+ReLU, conv;
output = input - residual; with ``batch_norm=False`` it is the deploy form (biases everywhere), which
can take our Keras weights. PyTorch is optional: it is imported only when a peer is built.
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from ..data.patches import PATCH_SCALES, augment_patch, scale_size


def build_torch_dncnn(*, depth: int = 17, filters: int = 64, batch_norm: bool = True, weights: Sequence[np.ndarray] | None = None):
    """A PyTorch ``nn.Module`` DnCNN; ``weights``: Keras deploy-form arrays (kernel (3, 3, in, out), bias) to copy in."""
    import torch
    from torch import nn

    class TorchDnCNN(nn.Module):
        def __init__(self):
            super().__init__()
            layers = [nn.Conv2d(1, filters, 3, padding=1), nn.ReLU(inplace=True)]
            for _ in range(depth - 2):
                layers.append(nn.Conv2d(filters, filters, 3, padding=1, bias=not batch_norm))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(filters, eps=1e-4, momentum=0.1))
                layers.append(nn.ReLU(inplace=True))
            layers.append(nn.Conv2d(filters, 1, 3, padding=1, bias=not batch_norm))
            self.body = nn.Sequential(*layers)

        def forward(self, x):
            return x - self.body(x)

    model = TorchDnCNN()
    if weights is not None:
        if batch_norm:
            raise ValueError("weights are copied into the deploy form only: pass batch_norm=False")
        convs = [m for m in model.body if isinstance(m, nn.Conv2d)]
        for conv, kernel, bias in zip(convs, weights[0::2], weights[1::2]):
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(np.asarray(kernel).transpose(3, 2, 0, 1)))
            conv.bias.data = torch.from_numpy(np.asarray(bias))
    return model


def measure_torch_training(*, device: str | None = None, batch_size: int = 128, seconds: float = 15.0, bf16: bool = False,
                           compile_model: bool = False, channels_last: bool = False, seed: int = 0, depth: int = 17,
                           filters: int = 64, patch_size: int = 40, warmup_steps: int = 5) -> dict:
    """Patches per second of PyTorch DnCNN training steps (Adam 1e-3, MSE, one fixed batch of
    ``patch_size`` x ``patch_size``; DnCNN-S: depth 17, 64 filters, 40x40): ``warmup_steps`` steps
    (compilation included), then steps for about ``seconds`` (at least 2), timed.

    Returns:
        peer, torch, device, bf16, compile, channels_last, batch_size, steps, seconds (timed),
        warmup_seconds, steps_per_second, patches_per_second.
    """
    import torch

    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(seed)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = build_torch_dncnn(depth=depth, filters=filters).to(device).to(memory_format=memory_format)
    step_model = torch.compile(model) if compile_model else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    clean = torch.rand(batch_size, 1, patch_size, patch_size, device=device).to(memory_format=memory_format)
    noisy = clean + 25 / 255 * torch.randn_like(clean)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.mse_loss(step_model(noisy).float(), clean)
        loss.backward()
        opt.step()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    start = time.perf_counter()
    for _ in range(warmup_steps):
        step()
    sync()
    warmup = time.perf_counter() - start
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 2:
        step()
        steps += 1
    sync()
    elapsed = time.perf_counter() - start
    return {"peer": "pytorch", "torch": torch.__version__, "device": str(device), "bf16": bf16, "compile": compile_model,
            "channels_last": channels_last, "batch_size": batch_size, "steps": steps, "seconds": round(elapsed, 3),
            "warmup_seconds": round(warmup, 2),
            "steps_per_second": steps / elapsed, "patches_per_second": steps * batch_size / elapsed}


# the peer's settings measured on a GPU: (bf16, torch.compile, channels-last)
PEER_SETTINGS = ((False, False, False), (False, False, True), (True, False, True), (True, True, True))


def generate_patches_loop(images: Sequence[np.ndarray], *, patch_size: int = 40, stride: int = 10,
                          scales: Sequence[float] = PATCH_SCALES, batch_size: int = 128, seed: int = 0) -> tuple[np.ndarray, dict]:
    """The authors' ``data_generator.py`` as written: a Python loop per patch (the benchmark's baseline).

    Same recipe and counts as :func:`dncnn.data.patches.generate_patches`, and the same patches for
    the same seed.
    """
    import cv2

    rng = np.random.default_rng(seed)
    patches = []
    for image in images:
        h, w = image.shape
        for s in scales:
            hs, ws = scale_size(h, w, s)
            scaled = cv2.resize(image, (ws, hs), interpolation=cv2.INTER_CUBIC)
            for i in range(0, hs - patch_size + 1, stride):
                for j in range(0, ws - patch_size + 1, stride):
                    patches.append(scaled[i:i + patch_size, j:j + patch_size])
    modes = rng.integers(0, 8, size=len(patches))
    out = np.array([augment_patch(x, int(m)) for x, m in zip(patches, modes)], dtype=np.uint8)
    dropped = len(out) % batch_size
    return out[dropped:], {"count": len(out) - dropped, "count_before_truncation": len(out), "dropped_first": dropped}
