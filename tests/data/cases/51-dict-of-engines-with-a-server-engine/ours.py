"""Engines for each store."""
import os

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

ENGINES = {
    "users": create_engine(
        "sqlite:///db/users.db",
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    ),
    "logs": create_engine(
        "sqlite:///db/logs.db",
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    ),
    "reports": create_engine(os.getenv("REPORTS_URL"), pool_size=10, max_overflow=20, pool_recycle=3600),
}
