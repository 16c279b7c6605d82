"""vocengine: sentiment, emotions and journey touchpoints from free-text customer feedback."""

__version__ = "0.1.0"
