"""Dataset loading, training, evaluation and model cards for vocengine's default models."""
