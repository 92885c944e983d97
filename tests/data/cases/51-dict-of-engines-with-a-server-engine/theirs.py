"""Engines for each store."""
import os

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

ENGINES = {
    "users": create_engine("sqlite:///db/users.db", poolclass=NullPool),
    "logs": create_engine("sqlite:///db/logs.db", poolclass=NullPool, echo=True),
    "audit": create_engine("sqlite:///db/audit.db", poolclass=NullPool),
    "reports": create_engine(os.getenv("REPORTS_URL"), pool_size=10, max_overflow=30),
}
