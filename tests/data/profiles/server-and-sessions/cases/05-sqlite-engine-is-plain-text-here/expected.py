import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://app@db/app")

engine = create_engine(
    DATABASE_URL,
    pool_size=50,
    max_overflow=100,
    pool_pre_ping=True,
    pool_recycle=1800,
)

# One session per request, closed at teardown.
SessionLocal = sessionmaker(bind=engine, autocommit=False, expire_on_commit=False)

cache = create_engine("sqlite:///cache.db", echo=False)
