"""`urban docs` and `urban serve`: the documentation and dashboard next to the published warehouse."""

from __future__ import annotations

import functools
import posixpath
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import click
from rich.table import Table

from dagster_project.common import config
from dagster_project.cli.common import console

SERVED = ("docs", "site", "data_docs", "exports")  # directories next to the warehouse file; nothing else


@click.command()
def docs() -> None:
    """Build the docs of the published warehouse (dbt docs with every model, the GX Data Docs made
    offline, one index page) and print where they are. All of it opens from disk without network."""
    from dagster_project.publish.docs_site import build_docs

    try:
        where = build_docs(config.layout())
    except (FileNotFoundError, RuntimeError) as e:
        raise click.ClickException(str(e)) from e
    table = Table("what", "file", "built")
    for name, path in where.items():
        table.add_row(name, str(path), "yes" if path.exists() else "no")
    out = console()
    out.print(table)
    out.print(f"open {where['index']}  (or `urban serve`)")


class ReadOnlyHandler(SimpleHTTPRequestHandler):
    """GET/HEAD of the served directories only (other methods: 501); / goes to the docs index."""

    def _served(self) -> bool:
        """The request's path, as the file server will resolve it (unquoted, '..' folded), lies in
        one of the served directories."""
        path = posixpath.normpath(urllib.parse.unquote(urllib.parse.urlsplit(self.path).path))
        return path.lstrip("/").split("/", 1)[0] in SERVED

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path in ("/", "/index.html"):
            self.send_response(302)
            self.send_header("Location", "/docs/index.html")
            self.end_headers()
        elif self._served():
            super().do_GET()
        else:
            self.send_error(404, "only " + ", ".join(f"/{d}/" for d in SERVED) + " are served")

    def do_HEAD(self) -> None:  # noqa: N802
        if self._served():
            super().do_HEAD()
        else:
            self.send_error(404)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the console stays quiet
        pass


@click.command()
@click.option("--port", type=int, default=8765, show_default=True, help="0 picks a free port.")
def serve(port: int) -> None:
    """Serve the dashboard (site/), the docs (docs/, data_docs/) and the exports read-only on
    http://127.0.0.1:PORT/ (never on another interface). Ctrl-C stops it."""
    root = config.warehouse_path().parent
    handler = functools.partial(ReadOnlyHandler, directory=str(root))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        out = console()
        out.print(f"serving {url}  (docs {url}docs/index.html, dashboard {url}site/index.html); Ctrl-C stops", markup=False)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            out.print("stopped")
