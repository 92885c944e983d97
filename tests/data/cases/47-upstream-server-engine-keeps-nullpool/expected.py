from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool, StaticPool

engine = create_engine(
    "sqlite:///db/a.db",
    poolclass=StaticPool,
    connect_args={
        "check_same_thread": False,
        "timeout": 20.0,
    },
    pool_pre_ping=True,
    echo=True,
)
engine2 = create_engine(DB2, pool_size=5, poolclass=NullPool)
