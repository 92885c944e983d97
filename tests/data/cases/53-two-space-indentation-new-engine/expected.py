from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool


def users_engine(url):
  if url.startswith("sqlite"):
    return create_engine(
      url,
      poolclass=StaticPool,
      connect_args={
        "check_same_thread": False,
        "timeout": 20.0,
      },
      pool_pre_ping=True,
    )
  return create_engine(url, pool_size=5)


def cache_engine():
  return create_engine(
    "sqlite:///db/cache.db",
    poolclass=StaticPool,
    connect_args={
      "check_same_thread": False,
      "timeout": 20.0,
    },
    pool_pre_ping=True,
  )
