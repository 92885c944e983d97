from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool


def get_engine(path):
    """Open the SQLite database at ``path``."""
    return create_engine(
        f"sqlite:///{path}",
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
        echo=True,
    )
