"""``orcid-pyramid emulator``: serve the local ORCID sandbox with waitress."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0 picks a free one).")
@click.option("--seed", default="demo", show_default=True,
              type=click.Choice(["demo", "empty"]), help="Initial clients and records.")
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Latency added to API and token calls.")
@click.option("--rate-limit", default="24/40", show_default=True,
              help="Per-client RATE/BURST on the member API ('none' disables).")
@click.option("--public-rate-limit", default="12/40", show_default=True,
              help="Per-client RATE/BURST on the public and anonymous API ('none' disables).")
@click.option("--faults", default=None, metavar="RATE:KINDS[:SEED[:TIMEOUT_SECONDS]]",
              help="Inject failures, e.g. 0.1:500,503,reset:42 or 1:timeout:0:1.5.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def emulator(host, port, seed, latency_ms, rate_limit, public_rate_limit, faults, threads):
    """Run the ORCID sandbox emulator (OAuth, OpenID Connect, member API v3.0, webhooks)."""
    from waitress.server import create_server

    from orcid_pyramid.emulator import make_app
    from orcid_pyramid.emulator.seed import credentials_text

    try:
        app = make_app(seed=None if seed == "empty" else seed, latency_ms=latency_ms,
                       rate_limit=rate_limit, public_rate_limit=public_rate_limit,
                       faults=faults)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        server = create_server(app, host=host, port=port, threads=threads)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    base_url = f"http://{host}:{server.effective_port}"
    click.echo(credentials_text(seed, base_url))
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        app.close()
        server.close()
