from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

extra_kwargs = {"echo": False}
engine = create_engine("sqlite:///db/a.db", poolclass=NullPool, connect_args={"check_same_thread": False}, **extra_kwargs)
