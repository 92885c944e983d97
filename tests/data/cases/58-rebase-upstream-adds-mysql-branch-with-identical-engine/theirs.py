import os

from sqlalchemy import Column, Integer, String, Text, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

DB_ENGINE = os.getenv("DB_ENGINE", "sqlite")
DATABASE_URL = os.getenv("DATABASE_URL", "sqlite:///db/openalgo.db")

if DB_ENGINE == "sqlite":
    engine = create_engine(
        DATABASE_URL,
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )
else:
    engine = create_engine(DATABASE_URL, pool_size=10, max_overflow=20)

db_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=engine))
Base = declarative_base()
Base.query = db_session.query_property()


class Strategy(Base):
    __tablename__ = "strategies"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), unique=True, nullable=False)
    webhook_id = Column(String(36), unique=True, nullable=False)
    config = Column(Text)


def init_db():
    Base.metadata.create_all(bind=engine)


def get_strategy(webhook_id):
    return Strategy.query.filter_by(webhook_id=webhook_id).first()
