import os

from sqlalchemy import create_engine as make_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

DATABASE_URL = os.getenv("DATABASE_URL", "sqlite:///db/openalgo.db")

engine = make_engine(
    DATABASE_URL, poolclass=NullPool, connect_args={"check_same_thread": False}, echo=False
)
SessionLocal = sessionmaker(bind=engine, autoflush=False)
