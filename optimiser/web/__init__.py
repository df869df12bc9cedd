"""``skillmix serve``: the planners' web app (see :mod:`optimiser.web.app`)."""

from optimiser.web.app import create_app

__all__ = ["create_app"]
