import logging
import os

from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

BACKTEST_DATABASE_URL = os.getenv("BACKTEST_DATABASE_URL", "sqlite:///db/backtest.db")

backtest_engine = create_engine(
    BACKTEST_DATABASE_URL,
    poolclass=StaticPool,
    connect_args={
        "check_same_thread": False,
        "timeout": 20.0,
    },
    pool_pre_ping=True,
)
BacktestSession = sessionmaker(autocommit=False, autoflush=False, bind=backtest_engine)


def new_session():
    return BacktestSession()


VAULT_KEY = os.getenv("VAULT_KEY", "")


def open_scratch_db(path):
    return create_engine(
        URL.create("sqlite", database=path),
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )


def open_events_db():
    return create_async_engine(
        "sqlite+aiosqlite:///db/events.db",
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )


def open_vault_db():
    return create_engine(
        f"sqlite+pysqlcipher://:{VAULT_KEY}@/db/vault.db?cipher=aes-256-cfb",
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )
