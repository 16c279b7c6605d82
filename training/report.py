"""The command line shared by the evaluation scripts: evaluate a model folder, print JSON, keep a copy."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from vocengine.settings import MODELS_DIR

Evaluate = Callable[[Path, Path | None], dict[str, object]]


def evaluation_main(description: str, evaluate: Evaluate, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=MODELS_DIR / "default")
    parser.add_argument("--base-model", type=Path, default=None, help="local base encoder (default: packaged)")
    parser.add_argument("--out", type=Path, default=None, help="also write the report as JSON")
    args = parser.parse_args(argv)
    text = json.dumps(evaluate(args.model_dir, args.base_model), indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
