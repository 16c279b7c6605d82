"""Learning from CX leads' labels: label history, where to label next, the model registry, rescoring."""
