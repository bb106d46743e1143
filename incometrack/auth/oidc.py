"""Signing in through the council's Microsoft 365 (OpenID Connect, authorisation code flow with
PKCE), by Authlib: it sends ``state``, ``nonce`` and an S256 code challenge, keeps them in the
session, and checks the ID token's signature against the provider's keys and its ``iss``,
``aud``, ``exp`` (two minutes' skew) and ``nonce``. :mod:`incometrack.services.sso` then decides
who the person is. Without ``OIDC_ISSUER`` none of this is loaded."""

from __future__ import annotations

from flask import Flask, current_app

from incometrack.config import issuer_tenant
from incometrack.services.sso import SsoSettings

#: The name the provider is registered under in Authlib's registry.
PROVIDER = "microsoft"
#: Seconds of clock difference allowed on the ID token's times.
LEEWAY_SECONDS = 120


def enabled(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("OIDC_ISSUER"))


def init_app(app: Flask) -> None:
    if not enabled(app):
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    issuer = app.config["OIDC_ISSUER"]
    oauth.register(
        PROVIDER,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_post",
            "default_timeout": app.config["OIDC_TIMEOUT_SECONDS"],
        },
    )
    app.extensions["oidc"] = oauth


def client():
    return current_app.extensions["oidc"].create_client(PROVIDER)


def settings() -> SsoSettings:
    config = current_app.config
    tenants = tuple(config["OIDC_ALLOWED_TENANTS"]) or (issuer_tenant(config["OIDC_ISSUER"]),)
    return SsoSettings(
        allowed_tenants=tenants,
        role_claim=config["OIDC_ROLE_CLAIM"],
        allow_admin=bool(config["OIDC_ALLOW_ADMIN"]),
        provisioning=config["OIDC_PROVISIONING"],
    )
