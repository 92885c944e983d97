from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

a = create_engine("sqlite:///a.db", poolclass=NullPool, echo=True); b = create_engine("sqlite:///b.db", poolclass=NullPool)
