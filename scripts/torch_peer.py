"""The PyTorch peer: training-step throughput of a plain PyTorch DnCNN-S (same layers as ours).

17 conv layers 3x3x64 (conv+ReLU, 15 x conv(no bias)+BN+ReLU, conv), output = input - residual,
Adam 1e-3, MSE, batch 128 of 40x40. Its best settings on a GPU: channels-last, cuDNN autotuning,
bf16 autocast and torch.compile, each measured; one JSON line per setting. Runs on CPU too.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from torch import nn


class DnCNN(nn.Module):
    def __init__(self, depth: int = 17, filters: int = 64):
        super().__init__()
        layers = [nn.Conv2d(1, filters, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(filters, filters, 3, padding=1, bias=False),
                       nn.BatchNorm2d(filters, eps=1e-4, momentum=0.1), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(filters, 1, 3, padding=1, bias=False))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return x - self.body(x)


def measure(*, device, batch_size, seconds, bf16, compile_model, channels_last):
    torch.manual_seed(0)
    model = DnCNN().to(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    step_model = torch.compile(model) if compile_model else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    clean = torch.rand(batch_size, 1, 40, 40, device=device).to(memory_format=memory_format)
    noisy = clean + 25 / 255 * torch.randn_like(clean)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = nn.functional.mse_loss(step_model(noisy).float(), clean)
        loss.backward()
        opt.step()
        return loss

    start = time.perf_counter()
    for _ in range(5):
        step()
    sync(device)
    warmup = time.perf_counter() - start
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    sync(device)
    elapsed = time.perf_counter() - start
    return {"peer": "pytorch", "torch": torch.__version__, "device": str(device), "bf16": bf16, "compile": compile_model,
            "channels_last": channels_last, "batch_size": batch_size, "steps": steps, "warmup_seconds": round(warmup, 2),
            "steps_per_second": steps / elapsed, "patches_per_second": steps * batch_size / elapsed}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile settings")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    settings = [(False, False, False), (False, False, True), (True, False, True)]
    if not args.no_compile:
        settings += [(True, True, True)]
    for bf16, compile_model, channels_last in settings:
        result = measure(device=device, batch_size=args.batch_size, seconds=args.seconds, bf16=bf16,
                         compile_model=compile_model, channels_last=channels_last)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
