import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://app@db/app")

engine = create_engine(
    DATABASE_URL,
    pool_size=50,
    max_overflow=100,
)

# One session per request.
SessionLocal = sessionmaker(bind=engine, autocommit=False)
