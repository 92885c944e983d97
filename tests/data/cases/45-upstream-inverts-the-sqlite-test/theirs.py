import os

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

DATABASE_URL = os.getenv("DATABASE_URL", "sqlite:///db/app.db")

if not DATABASE_URL.startswith("sqlite"):
    engine = create_engine(DATABASE_URL, pool_size=50, max_overflow=100, pool_timeout=10)
else:
    engine = create_engine(DATABASE_URL, poolclass=NullPool, connect_args={"check_same_thread": False})
