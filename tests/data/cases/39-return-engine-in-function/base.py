from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool


def get_engine(path):
    """Open the database."""
    return create_engine(f"sqlite:///{path}", poolclass=NullPool, connect_args={"check_same_thread": False})
