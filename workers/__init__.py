"""The Celery application for ``celery -A workers worker`` and ``celery -A workers beat``.

It is built from ``create_app()`` so that tasks share the Flask configuration
(DATABASE_URL, CELERY_BROKER_URL…) and run inside the application context.
"""

from convention import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
