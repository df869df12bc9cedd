"""skillmix: workforce skill-mix optimiser for community mental health teams."""

__version__ = "0.1.0"
