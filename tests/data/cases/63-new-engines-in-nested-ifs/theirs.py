import logging
import os

from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

HISTORY_DATABASE_URL = os.getenv("HISTORY_DATABASE_URL", "sqlite:///db/history.db")

history_engine = create_engine(
    HISTORY_DATABASE_URL, poolclass=NullPool, connect_args={"check_same_thread": False}
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


def make_tick_engine(url, read_only=False):
    """Engine for tick storage; read-only engines skip transactions."""
    if "sqlite" in url:
        if read_only:
            engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        else:
            engine = create_engine(url, poolclass=NullPool)
    else:
        if url.startswith("mysql"):
            engine = create_engine(url, pool_recycle=280)
        else:
            engine = create_engine(url, pool_size=20, max_overflow=40)
    return engine


def make_quote_engine(url, cloud=False):
    if cloud:
        if url.startswith("sqlite"):
            return create_engine(url, poolclass=NullPool, echo=False)
        return create_engine(url, pool_size=5, echo=False)
    return create_engine(url, echo=False)
