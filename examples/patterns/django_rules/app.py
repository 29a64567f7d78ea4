"""Django: a model validated by an ML rule, and an admin action that runs ML.

The ``shop`` app's ``Order.clean()`` asks the ML function ``problems`` what is wrong with
an order, so every ModelForm -- the admin's too -- shows the rule's messages next to the
fields; the admin action "Decide the selected orders with the rules" asks ``decide`` for
each selected order, and the management command ``decide_pending`` (``python app.py
decide_pending``, the nightly batch) for every pending one. This file is the project's ``manage.py`` and its settings. Run the
tests (Django's test client, a real in-memory sqlite database) with ``python app.py test
shop``, or try the admin::

    python app.py migrate && python app.py createsuperuser && python app.py runserver
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# [settings]
SETTINGS = {
    "INSTALLED_APPS": [
        "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
        "django.contrib.sessions", "django.contrib.messages",
        "mlpy.integration.django.MLPyConfig",  # the engine: get_engine()
        "shop",
    ],
    "MLPY": {"ENGINE": {"timeout": 1.0, "max_steps": 1_000_000}},  # keywords of mlpy.Engine
    "MIDDLEWARE": [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    # The tests get a fresh in-memory database; runserver uses this file.
    "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3",
                              "NAME": HERE / "db.sqlite3"}},
    "ROOT_URLCONF": "shop.urls",
    "TEMPLATES": [{
        "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages"]},
    }],
    "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
    "SECRET_KEY": "example only",
    "USE_TZ": True,
}
# [/settings]


if __name__ == "__main__":
    import django
    from django.conf import settings
    from django.core.management import execute_from_command_line

    settings.configure(**SETTINGS)
    django.setup()
    execute_from_command_line(sys.argv)
