"""The demo plugin: adds ``zoo demo``, the zoo's main job, to the command line.

The core knows no architecture, so the end-to-end demo (which trains one) is a plugin. It is
imported whenever ``zoo`` starts: only click is imported here, the pipeline (torch) when the
command runs.
"""

from zoo_core.plugin_api import hookimpl

#: The zoo plugin API this plugin is written for (checked when the zoo loads it).
ZOO_PLUGIN_API = "1.1"


@hookimpl
def register_commands(cli):
    from zoo_demo.cli import demo

    cli.add_command(demo)
