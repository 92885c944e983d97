from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool


def get_engine(path):
    """Open the SQLite database at ``path``."""
    return create_engine(f"sqlite:///{path}", poolclass=NullPool, connect_args={"check_same_thread": False}, echo=True)
