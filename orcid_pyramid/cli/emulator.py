"""``orcid-pyramid emulator``: serve the local ORCID sandbox with waitress (``--tls``: over
HTTPS, with a throwaway local certificate authority)."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0 picks a free one).")
@click.option("--seed", default="demo", show_default=True,
              type=click.Choice(["demo", "empty"]), help="Initial clients and records.")
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Least time an API or token call takes (handled at once, answered "
                   "after it).")
@click.option("--rate-limit", default="24/40", show_default=True,
              help="Per-client RATE/BURST on the member API ('none' disables).")
@click.option("--public-rate-limit", default="12/40", show_default=True,
              help="Per-client RATE/BURST on the public and anonymous API ('none' disables).")
@click.option("--faults", default=None, metavar="RATE:KINDS[:SEED[:TIMEOUT_SECONDS]]",
              help="Inject failures, e.g. 0.1:500,503,reset:42 or 1:timeout:0:1.5.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--tls", is_flag=True,
              help="Serve HTTPS with a new local certificate authority (its CA file is "
                   "printed, for REQUESTS_CA_BUNDLE and for Chromium).")
@click.option("--tls-dir", type=click.Path(file_okay=False, writable=True), default=None,
              help="With --tls: write the CA and server certificate here (default: a new "
                   "private temporary directory).")
def emulator(host, port, seed, latency_ms, rate_limit, public_rate_limit, faults, threads, tls,
             tls_dir):
    """Run the ORCID sandbox emulator (OAuth, OpenID Connect, member API v3.0, webhooks)."""
    from orcid_pyramid.emulator import make_app
    from orcid_pyramid.emulator.seed import credentials_text
    from orcid_pyramid.emulator.serve import listen, make_local_ca, tune_collector

    if tls_dir and not tls:
        raise click.UsageError("--tls-dir needs --tls")

    try:
        app = make_app(seed=None if seed == "empty" else seed, latency_ms=latency_ms,
                       rate_limit=rate_limit, public_rate_limit=public_rate_limit,
                       faults=faults)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    ca = make_local_ca(tls_dir) if tls else None
    try:
        listening = listen(app, host=host, port=port, threads=threads, ca=ca)
    except OSError as exc:
        app.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    click.echo(credentials_text(seed, listening.base_url))
    if ca is not None:
        click.echo(tls_text(ca))
    # serving from now on (this process is the command's own): the start-up's objects out of
    # the collector's way, young collections rarer (1.9 ms of CPU a bulk went to collections)
    tune_collector()
    try:
        listening.server.run()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        app.close()
        listening.close()


def tls_text(ca) -> str:
    """How a client trusts this run's local CA (and only it)."""
    return "\n".join([
        f"HTTPS with a local certificate authority: CA file {ca.ca_file}",
        f"  for requests (Python):  export REQUESTS_CA_BUNDLE={ca.ca_file}",
        f"  for curl:               curl --cacert {ca.ca_file} ...",
        f"  for Chromium:           chromium {ca.chromium_args()[0]}",
        f"  for the compliance kit: export ORCID_EMULATOR_CA={ca.ca_file}",
        "  The certificate names localhost, 127.0.0.1, api.localhost, pub.localhost and "
        "ORCID's sandbox host names.",
    ])
