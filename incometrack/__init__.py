"""IncomeTrack: income, grants and milestones for a council's Libraries, Registration & Archives."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from incometrack import config as config_module
from incometrack.extensions import csrf, db, login_manager

ROOT = config_module.ROOT


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (tests pass theirs here)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    configure(app, config)
    register_extensions(app)
    register_templates(app)
    register_converters(app)
    register_blueprints(app)
    register_security(app)
    register_errors(app)
    register_cli(app)
    return app


def configure(app: Flask, config: Mapping[str, object] | None) -> None:
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'incometrack.db'}"
    production = app.config["INCOMETRACK_ENV"] == "production"
    config_module.check_production(dict(app.config))
    if production:
        app.config["DEBUG"] = False
        app.config["PROPAGATE_EXCEPTIONS"] = False
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["PRODUCTION"] = production
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def register_extensions(app: Flask) -> None:
    from incometrack import database, security
    from incometrack.database import configure_engine
    from incometrack.jobs import queue
    from incometrack.services import income_totals  # noqa: F401 - every entry written moves its totals

    security.init_early(app)
    database.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    queue.init_app(app)
    with app.app_context():
        configure_engine(app, db.engine)


def register_templates(app: Flask) -> None:
    from incometrack import filters, forms, navigation, policy

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    filters.register(app)
    app.jinja_env.globals.update(policy.TEMPLATE_PREDICATES)
    navigation.init_app(app)
    forms.init_app(app)
    app.context_processor(
        lambda: {
            "council_name": app.config["COUNCIL_NAME"],
            "service_name": app.config["SERVICE_NAME"],
            "app_name": app.config["APP_NAME"],
        }
    )


def register_converters(app: Flask) -> None:
    """``<int:…>`` in a URL holds a database id: a number beyond what the column holds is a 404,
    never a query that overflows."""
    from werkzeug.routing import IntegerConverter

    from incometrack.forms import MAX_ID

    class IdConverter(IntegerConverter):
        def __init__(self, url_map, *args, **kwargs) -> None:
            kwargs.setdefault("max", MAX_ID)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    from incometrack.account import tokens  # noqa: F401 - adds the API token pages to the account blueprint
    from incometrack.account.views import bp as account_bp
    from incometrack.admin.views import bp as admin_bp
    from incometrack.auth.views import bp as auth_bp
    from incometrack.grants.views import bp as grants_bp
    from incometrack.impact.views import bp as impact_bp
    from incometrack.income import import_views  # noqa: F401 - adds the import routes to the income blueprint
    from incometrack.income.views import bp as income_bp
    from incometrack.jobs.views import bp as jobs_bp
    from incometrack.main.views import bp as main_bp
    from incometrack.monitoring.views import bp as monitoring_bp
    from incometrack.projects.views import bp as projects_bp
    from incometrack.returns.views import bp as returns_bp

    for blueprint in (
        auth_bp,
        main_bp,
        admin_bp,
        income_bp,
        grants_bp,
        projects_bp,
        impact_bp,
        returns_bp,
        monitoring_bp,
        account_bp,
        jobs_bp,
    ):
        app.register_blueprint(blueprint)


def register_security(app: Flask) -> None:
    from incometrack import security
    from incometrack.auth import access

    if proxies := int(app.config["TRUSTED_PROXY_COUNT"]):
        # Behind N trusted proxies the client is the Nth address from the end of X-Forwarded-For
        # (and the scheme is what the proxy saw). With none trusted, the header is ignored: anyone
        # could write it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    security.init_app(app)
    access.init_app(app)
    from incometrack.auth import oidc

    oidc.init_app(app)
    from incometrack import api

    api.init_app(app)


def register_errors(app: Flask) -> None:
    from incometrack import errors

    errors.init_app(app)


def register_cli(app: Flask) -> None:
    from incometrack import cli

    cli.init_app(app)
