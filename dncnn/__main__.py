"""``python -m dncnn COMMAND``: fetch, patches, train, reproduce, report, denoise."""

from __future__ import annotations

import argparse
import sys

from .profiles import PROFILES


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = {
        "fetch": "fetch and verify Train400, BSD68 and Set12 into data/raw",
        "patches": "cut the training patches of a profile (notebook 01's work)",
        "train": "train a model (python -m dncnn train --help)",
        "reproduce": "execute the four notebooks (python -m dncnn reproduce --help)",
        "report": "rewrite README.md's results section from results/<profile>",
        "denoise": "denoise your own image (python -m dncnn denoise --help)",
        "deblock": "remove JPEG blocking from your own .jpg with DnCNN-3 (python -m dncnn deblock --help)",
        "upscale": "enlarge your own image by 2, 3 or 4 with bicubic + DnCNN-3 (python -m dncnn upscale --help)",
    }
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in commands:
        print("usage: python -m dncnn COMMAND [options]\n\ncommands:")
        for name, text in commands.items():
            print(f"  {name:10s} {text}")
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    command, rest = argv[0], argv[1:]
    if command == "train":
        from .train import main as train_main

        return train_main(rest)
    if command == "denoise":
        from .denoise import main as denoise_main

        return denoise_main(rest)
    if command in ("deblock", "upscale"):
        from .restore import main as restore_main

        return restore_main(rest, command=command)
    if command == "reproduce":
        from .reproduce import main as reproduce_main

        return reproduce_main(rest)
    parser = argparse.ArgumentParser(prog=f"python -m dncnn {command}", description=commands[command])
    if command == "fetch":
        from . import data

        parser.add_argument("datasets", nargs="*", default=list(data.DATASETS), help="Train400 BSD68 Set12")
        args = parser.parse_args(rest)
        try:
            dest = data.fetch_datasets(args.datasets)
        except (data.DataError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"verified {len(data.list_files(args.datasets))} files in {dest}")
        return 0
    parser.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    args = parser.parse_args(rest)
    if command == "patches":
        from .prepare import prepare_patches
        from .profiles import get_profile

        _, sidecar = prepare_patches(get_profile(args.profile))
        print(f"{sidecar['count']:,} patches in {sidecar['seconds']:.2f} s")
        return 0
    from .report import update_readme

    update_readme(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
