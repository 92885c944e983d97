import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

DATABASE_URL = os.getenv("DATABASE_URL")

engine = create_engine(DATABASE_URL, pool_size=50, max_overflow=100, pool_timeout=10)

SessionLocal = sessionmaker(bind=engine)
