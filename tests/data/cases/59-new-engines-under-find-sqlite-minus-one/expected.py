import logging
import os

from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

HISTORY_DATABASE_URL = os.getenv("HISTORY_DATABASE_URL", "sqlite:///db/history.db")

history_engine = create_engine(
    HISTORY_DATABASE_URL,
    poolclass=StaticPool,
    connect_args={
        "check_same_thread": False,
        "timeout": 20.0,
    },
    pool_pre_ping=True,
)
history_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=history_engine))


def ping_history_db():
    try:
        with history_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception as e:
        logger.error(f"History DB ping failed: {e}")
        return False


def make_export_engine(url):
    """Engine for the nightly export job; the URL comes from the job settings."""
    if url.find("sqlite") == -1:
        return create_engine(url, pool_recycle=3600)
    else:
        return create_engine(
            url,
            poolclass=StaticPool,
            connect_args={
                "check_same_thread": False,
                "timeout": 20.0,
            },
            pool_pre_ping=True,
        )
