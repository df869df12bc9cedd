"""skillmix: workforce skill-mix optimiser for community mental health teams."""

__version__ = "0.1.0"

#: the longest solver time limit a command or the web API takes, in seconds (a
#: week): a larger one overflows the solvers' clocks
MAX_TIME_LIMIT = 7 * 24 * 3600.0
