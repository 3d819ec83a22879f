"""``request.orcid_*`` methods (registered by ``includeme``) and the per-app objects behind
them: one thread-safe ``OrcidClient`` (its JWKS cache and connection pool are shared) and one
``TokenCipher``, both built at startup."""

from __future__ import annotations

from sqlalchemy import select


def build_app_objects(config, settings) -> None:
    """Build the cipher, the call-log sink, the client and the pre-fill callable once."""
    from pyramid.exceptions import ConfigurationError
    from pyramid.path import DottedNameResolver

    from ..client.factory import client_factory
    from ..crypto import TokenCipher, TokenKeyError
    from .calllog import DbCallSink

    registry = config.registry
    try:
        registry["orcid.cipher"] = TokenCipher.from_settings(settings)
    except TokenKeyError as exc:
        raise ConfigurationError(f"orcid.token_key: {exc}") from None
    sink = DbCallSink(registry["orcid.dbengine"], settings.call_log_retention_days, registry)
    registry["orcid.call_sink"] = sink
    # test hook: a requests.Session with a WSGI adapter (in-process emulator)
    factory = client_factory(settings, session=config.get_settings().get("orcid.http_session"))
    registry["orcid.client_factory"] = factory
    registry["orcid.client"] = factory(sink, shared_rate_limiter(registry["orcid.dbengine"],
                                                                 settings))
    user_info = None
    if settings.user_info:
        try:
            user_info = DottedNameResolver().maybe_resolve(settings.user_info)
        except (ImportError, ValueError, AttributeError) as exc:
            raise ConfigurationError(
                f"orcid.user_info = {settings.user_info!r} cannot be imported: {exc}") from None
        if not callable(user_info):
            raise ConfigurationError(f"orcid.user_info = {settings.user_info!r} is not callable")
    registry["orcid.user_info"] = user_info


def shared_rate_limiter(engine, settings):
    """The token bucket the sync worker uses too (``orcid.rate_limit``, ORCID's 24/s burst 40
    per client): calls made by the web process (callback reads, webhook reads, collect) and by
    the workers draw from ONE budget, so together they never exceed ORCID's limit."""
    from ..sync.ratelimit import bucket_for

    return bucket_for(engine, settings.rate_per_second, settings.rate_burst)


def orcid_settings(request):
    """``request.orcid_settings``: the add-on's :class:`OrcidSettings`."""
    return request.registry["orcid.settings"]


def orcid_cipher(request):
    """``request.orcid_cipher``: the :class:`TokenCipher` for stored tokens."""
    return request.registry["orcid.cipher"]


def orcid_client(request):
    """``request.orcid_client``: the app's :class:`OrcidClient`; every call it makes is written
    to the call log (pass ``log_context={"user_id": ...}`` to attribute it)."""
    return request.registry["orcid.client"]


def orcid_link(request):
    """``request.orcid_link``: the signed-in user's :class:`OrcidLink`, or None."""
    from ..models import OrcidLink

    user_id = request.authenticated_userid
    if user_id is None:
        return None
    return request.orcid_db.execute(
        select(OrcidLink).where(OrcidLink.user_id == str(user_id))
    ).scalar_one_or_none()
