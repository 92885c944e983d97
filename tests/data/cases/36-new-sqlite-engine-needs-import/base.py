import os

from sqlalchemy import create_engine

DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://localhost/app")

engine = create_engine(DATABASE_URL, pool_size=10, max_overflow=20)
