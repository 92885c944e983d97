import os

from sqlalchemy import Column, Integer, String, Text, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

SETTINGS_DATABASE_URL = os.getenv("SETTINGS_DATABASE_URL", "sqlite:///db/settings.db")


def sqlite_engine_options(url):
    """Pool options for SQLite deployments (see docs/database.md)."""
    return {"poolclass": NullPool, "connect_args": {"check_same_thread": False}}


Base = declarative_base()

if "sqlite" in SETTINGS_DATABASE_URL:
    settings_engine = create_engine(SETTINGS_DATABASE_URL, **sqlite_engine_options(SETTINGS_DATABASE_URL))
else:
    settings_engine = create_engine(SETTINGS_DATABASE_URL, pool_size=10, max_overflow=20)

db_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=settings_engine))
Base.query = db_session.query_property()


class Settings(Base):
    __tablename__ = "settings"

    id = Column(Integer, primary_key=True)
    analyze_mode = Column(Integer, default=0)
    smtp_server = Column(String(255))
    notes = Column(Text)


def init_db():
    Base.metadata.create_all(bind=settings_engine)


def get_settings():
    return Settings.query.first()
