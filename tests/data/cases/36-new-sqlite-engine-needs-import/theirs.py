import os

from sqlalchemy import create_engine

DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://localhost/app")

engine = create_engine(DATABASE_URL, pool_size=10, max_overflow=20)

cache_engine = create_engine("sqlite:///db/cache.db", connect_args={"check_same_thread": False})
