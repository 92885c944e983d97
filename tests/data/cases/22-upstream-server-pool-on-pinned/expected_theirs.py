import logging
import os
from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, String, Text, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool
from sqlalchemy.sql import func

logger = logging.getLogger(__name__)

LOGS_DATABASE_URL = os.getenv("LOGS_DATABASE_URL", "sqlite:///db/logs.db")

# Conditionally create engine based on DB type
if LOGS_DATABASE_URL and "sqlite" in LOGS_DATABASE_URL:
    # SQLite: NullPool so each checkout opens a fresh connection
    logs_engine = create_engine(
        LOGS_DATABASE_URL, poolclass=NullPool, connect_args={"check_same_thread": False}, pool_size=5
    )
else:
    # Other databases: use a real connection pool
    logs_engine = create_engine(LOGS_DATABASE_URL, pool_size=50, max_overflow=100, pool_timeout=10)

logs_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=logs_engine))
LogBase = declarative_base()
LogBase.query = logs_session.query_property()


class TrafficLog(LogBase):
    __tablename__ = "traffic_logs"

    id = Column(Integer, primary_key=True)
    timestamp = Column(DateTime(timezone=True), server_default=func.now())
    client_ip = Column(String(50), nullable=False)
    method = Column(String(10), nullable=False)
    path = Column(String(500), nullable=False)
    status_code = Column(Integer, nullable=False)
    duration_ms = Column(Integer, nullable=False)


def init_logs_db():
    logger.info("Initializing traffic logs DB")
    LogBase.metadata.create_all(bind=logs_engine)


def log_request(client_ip, method, path, status_code, duration_ms):
    try:
        entry = TrafficLog(
            client_ip=client_ip,
            method=method,
            path=path,
            status_code=status_code,
            duration_ms=duration_ms,
        )
        logs_session.add(entry)
        logs_session.commit()
    except Exception as e:
        logs_session.rollback()
        logger.error(f"Error logging request: {e}")
    finally:
        logs_session.remove()


def recent_requests(limit=100):
    return TrafficLog.query.order_by(TrafficLog.timestamp.desc()).limit(limit).all()
