"""A served model without the build: the distributions serving needs (``needs``), an app root
pruned to them (``prune``, the S2I runtime image's assemble-runtime), and a container build context
(``context``, ``nb2service export``).
"""
