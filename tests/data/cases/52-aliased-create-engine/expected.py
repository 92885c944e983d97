import os

from sqlalchemy import create_engine as make_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

DATABASE_URL = os.getenv("DATABASE_URL", "sqlite:///db/openalgo.db")

engine = make_engine(
    DATABASE_URL,
    poolclass=StaticPool,
    connect_args={
        "check_same_thread": False,
        "timeout": 20.0,
    },
    pool_pre_ping=True,
    echo=False,
)
SessionLocal = sessionmaker(bind=engine, autoflush=False)
