from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

a = create_engine('sqlite:///db/a.db', poolclass=NullPool, connect_args={'check_same_thread': False})
b = create_engine('sqlite:///db/b.db', poolclass=NullPool)
