"""``zoo list``, ``zoo info`` and ``zoo plugins``: what is installed and registered."""

from __future__ import annotations

import click

from zoo_core.cli import cli
from zoo_core.cli.output import echo_json, stdout_is_terminal


def _console():
    """A rich console that never cuts a cell when the output goes to a pipe or a file.

    Off a terminal rich assumes 80 columns and shortens cells to "publ…"; scripts that grep
    `zoo list` need whole words, so the width is then as wide as the table needs.
    """
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 200))
    return console


def plain_table(title: str, header: tuple[str, ...], rows: list[list[str]]) -> str:
    """A fixed-width text table (title, header, rule, rows) for output that is not a terminal."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(header), rule, *(line(r) for r in rows)])


LIST_COLUMNS = ("id", "architecture", "paper", "modality", "task", "dims", "resolution", "weights")


@cli.command("list")
@click.argument("patterns", nargs=-1)
@click.option("--modality", help="Only this modality, e.g. CT, MR, fundus.")
@click.option("--task", help="Only this task, e.g. super-resolution, denoising.")
@click.option("--dims", type=click.IntRange(2, 3), help="Only 2D or only 3D models.")
@click.option("--architecture", "--arch", help="Only this architecture, e.g. pggan.")
@click.option(
    "--pretrained/--untrained",
    default=None,
    help="Only models whose weights are (or are not) published or shipped.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def list_command(patterns, modality, task, dims, architecture, pretrained, as_json) -> None:
    """List registered models, optionally filtered.

    PATTERNS are shell-style wildcards matched against ids, e.g. 'beers-*'.

    \b
    Examples:
      zoo list
      zoo list 'beers-*' --modality MR
      zoo list --dims 3 --task super-resolution --json
    """
    from zoo_core.api import list_models

    rows = list_models(
        list(patterns) or "*",
        modality=modality,
        task=task,
        dims=dims,
        architecture=architecture,
        pretrained=pretrained,
    )
    if as_json:
        echo_json(rows)
        return
    cells = []
    for row in rows:
        line = [str(row.get(c, "")) for c in LIST_COLUMNS]
        line[-1] = "shipped" if row.get("shipped") else "published" if row.get("weights") else "-"
        cells.append(line)
    title = f"{len(rows)} model(s)"
    if stdout_is_terminal():
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for column in LIST_COLUMNS:
            table.add_column(column, no_wrap=column == "id")
        for line in cells:
            table.add_row(*line)
        _console().print(table)
    else:  # pipes and files: plain columns, never cut; rich's import + render cost ~0.15 s
        click.echo(plain_table(title, LIST_COLUMNS, cells))
    if not rows:
        click.echo("No model matches. `zoo plugins` shows which plugins are installed.", err=True)


@cli.command("info")
@click.argument("model_id")
@click.option("--raw", is_flag=True, help="Print the card's Markdown source.")
@click.option("--json", "as_json", is_flag=True, help="Print the card's facts as JSON.")
def info_command(model_id: str, raw: bool, as_json: bool) -> None:
    """Show the model card of MODEL_ID (paper, inputs/outputs, weights, limitations).

    On a terminal the card is rendered; into a pipe or a file it is plain text: a two-column
    table of facts, then the card's Markdown body.
    """
    from zoo_core.api import model_card, model_spec

    card = model_card(model_id)
    shipped = model_spec(model_id).weights_path()
    if raw:
        click.echo(card.text())
        return
    zoo = card.zoo
    weights = zoo.get("weights")
    if as_json:
        echo_json(
            {
                "id": zoo.get("id") or model_id,
                "weights": {**weights, "shipped": shipped} if weights else None,
                "metadata": card.metadata,
                "body": card.body,
            }
        )
        return
    paper = zoo.get("paper", {})
    if weights and shipped is not None:
        where = f"shipped in {shipped} (Hub repo {weights['repo_id']})"
    elif weights:
        where = f"{weights['repo_id']}@{weights.get('revision') or 'main'}"
    else:
        where = "none published"
    rows = [
        ("id", zoo.get("id")),
        ("architecture", zoo.get("architecture")),
        ("paper", f"{paper.get('title')} ({paper.get('year')}) {paper.get('url', '')}".strip()),
        ("modality / task", f"{zoo.get('modality')} / {zoo.get('task')}"),
        ("dims / resolution", f"{zoo.get('dims')}D / {zoo.get('resolution')}"),
        ("license", card.metadata.get("license")),
        ("weights", where),
    ]
    if not stdout_is_terminal():
        facts = [[key, str(value)] for key, value in rows]
        click.echo(plain_table(model_id, ("field", "value"), facts))
        click.echo()
        click.echo(card.body.strip())
        return
    from rich.markdown import Markdown
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    for key, value in rows:
        grid.add_row(f"[bold]{key}[/bold]", str(value))
    console = _console()
    console.print(grid)
    console.print(Markdown(card.body))


PLUGIN_COLUMNS = ("plugin", "version", "module", "hooks", "status")


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List installed plugins with their version, hooks and any load error."""
    import warnings

    from zoo_core.plugins import PluginWarning, plugin_infos

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # shown in the table instead
        infos = plugin_infos()
    if as_json:
        echo_json(
            [
                {
                    "name": i.name,
                    "version": i.version,
                    "module": i.module,
                    "hooks": i.hooks,
                    "errors": i.errors,
                }
                for i in infos
            ]
        )
        return
    rows = [
        [i.name, i.version, i.module, ", ".join(i.hooks), "; ".join(i.errors) or "ok"]
        for i in infos
    ]
    title = f"{len(rows)} plugin(s)"
    if not stdout_is_terminal():
        click.echo(plain_table(title, PLUGIN_COLUMNS, rows))
        return
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in PLUGIN_COLUMNS:
        table.add_column(column)
    for row, info in zip(rows, infos, strict=True):
        status = "ok" if info.ok else f"[red]{row[-1]}[/red]"
        table.add_row(*row[:-1], status)
    _console().print(table)
