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

REPLAY_DATABASE_URL = os.getenv("REPLAY_DATABASE_URL", "sqlite:///db/replay.db")

if REPLAY_DATABASE_URL.startswith("sqlite") == False:
    replay_engine = create_engine(REPLAY_DATABASE_URL, pool_recycle=1800, echo=False)
else:
    replay_engine = create_engine(REPLAY_DATABASE_URL, poolclass=NullPool, echo=False)
