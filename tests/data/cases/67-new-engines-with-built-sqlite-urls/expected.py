import logging
import os

from sqlalchemy import create_engine
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


def open_run_db(path):
    return create_engine(
        "sqlite:///{0}".format(path),
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )


def open_journal_db(path):
    return create_engine(
        f"sqlite:///{path}",
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )


def open_export_db(path):
    return create_engine(
        "sqlite:///" + path,
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )


def open_snapshot_db(path):
    return create_engine(
        "sqlite:///%s" % path,
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )
