"""The demo plugin: adds ``zoo demo``, the zoo's main job, to the command line.

The core knows no architecture, so the end-to-end demo (which trains one) is a plugin. It is
imported whenever ``zoo`` starts: only click is imported here, the pipeline (torch) when the
command runs.
"""

from zoo_core import hookimpl


@hookimpl
def register_commands(cli):
    from zoo_demo.cli import demo

    cli.add_command(demo)
