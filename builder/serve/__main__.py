"""``python -m builder.serve OUT [options]``: what ``nb2service serve`` re-executes in the build
environment; the same command, so options and errors are handled in one place (``builder.cli``)."""

import sys

from ..cli import main

main(["serve", *sys.argv[1:]], prog_name="nb2service serve")
