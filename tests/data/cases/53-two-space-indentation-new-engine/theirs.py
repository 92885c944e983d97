from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool


def users_engine(url):
  if url.startswith("sqlite"):
    return create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False})
  return create_engine(url, pool_size=5)


def cache_engine():
  return create_engine("sqlite:///db/cache.db", poolclass=NullPool)
