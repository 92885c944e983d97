from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

ENGINES = {
    "a": create_engine("sqlite:///db/a.db", poolclass=NullPool),
    "b": create_engine("sqlite:///db/b.db", poolclass=NullPool),
}
