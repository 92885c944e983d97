import os

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

TELEGRAM_DATABASE_URL = os.getenv("TELEGRAM_DATABASE_URL", "sqlite:///db/telegram.db")

# Telegram bot state: one small SQLite file
# NullPool: the bot thread and the web app never share a connection
telegram_engine = create_engine(
    TELEGRAM_DATABASE_URL, poolclass=NullPool, connect_args={"check_same_thread": False}
)
telegram_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=telegram_engine))
Base = declarative_base()
Base.query = telegram_session.query_property()


class TelegramUser(Base):
    __tablename__ = "telegram_users"

    id = Column(Integer, primary_key=True)
    telegram_id = Column(BigInteger, unique=True, nullable=False)
    openalgo_username = Column(String(255), nullable=False)
    notifications_enabled = Column(Boolean, default=True)


def init_db():
    Base.metadata.create_all(bind=telegram_engine)


def get_user(telegram_id):
    return TelegramUser.query.filter_by(telegram_id=telegram_id).first()
