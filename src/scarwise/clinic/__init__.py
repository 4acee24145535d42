"""The clinic platform: FastAPI app, SQLAlchemy models, Alembic migrations, accounts, pages.

Start it with ``scarwise serve``; build it in code with :func:`create_app`.
"""

from scarwise.clinic._app import create_app
from scarwise.clinic._settings import Settings

__all__ = ["Settings", "create_app"]
