from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

ENGINES = [
    create_engine("sqlite:///a.db", poolclass=NullPool),
    create_engine("sqlite:///b.db", poolclass=NullPool),
]
