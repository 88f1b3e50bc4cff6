"""Pure domain logic: no Flask, no SQLAlchemy, no Celery (a test keeps it so)."""
