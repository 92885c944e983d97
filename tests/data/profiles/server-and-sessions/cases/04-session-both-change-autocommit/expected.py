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
    echo=True,
)

# One session per request.
<<<<<<< ours
SessionLocal = sessionmaker(bind=engine, autocommit=True, expire_on_commit=False)
=======
SessionLocal = sessionmaker(bind=engine, autocommit=None, expire_on_commit=False)
>>>>>>> theirs
