"""`python -m demo`: a simulated day of a service hall against the running local platform."""

import typer

from demo.cli import demo

typer.run(demo)
