"""Serving a built artifact: ``nb2service serve OUT``.

``launch.serve`` re-executes itself in the build environment recorded in the artifact when it is
not already running there, prepares the process (thread and metrics variables) and starts gunicorn
(``gunicorn_app``) on the flask app from ``app.create_app``, loaded once before the workers fork.
Each protocol's views (``views``) decode a request with its codec (``codecs``), call the one data
plane (``dataplane``) and encode the answer.

Importing this package imports nothing beyond the standard library.
"""
