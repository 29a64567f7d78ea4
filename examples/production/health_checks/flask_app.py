"""The same health routes on Flask: ``health_blueprint`` serves them for the engine that
``init_app`` gave the application. Run it with ``flask --app flask_app run``."""

from __future__ import annotations

import flask

from mlpy.integration.flask import health_blueprint, init_app


# [flask]
def create_app() -> flask.Flask:
    app = flask.Flask(__name__)
    init_app(app)  # the application's Engine, with a 5 s time limit
    app.register_blueprint(health_blueprint())  # /health, /health/ready, /health/detailed
    return app
# [/flask]


if __name__ == "__main__":
    create_app().run(port=8000)
