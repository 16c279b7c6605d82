"""The FastAPI service: survey tools push responses, CX leads query how customers feel along the journey."""
