from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

engine = create_engine("sqlite:///db/a.db", poolclass=NullPool, connect_args={"check_same_thread": False}, echo=True)
engine2 = create_engine(DB2, pool_size=5, poolclass=NullPool)
