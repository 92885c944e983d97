import logging

from sqlalchemy import Column, DateTime, Integer, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.sql import func

from database.settings import settings

logger = logging.getLogger(__name__)

# One URL for SQLite and PostgreSQL deployments, see database/settings.py
orders_engine = create_engine(settings.DATABASE_URL, echo=settings.SQL_ECHO)
orders_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=orders_engine))
Base = declarative_base()
Base.query = orders_session.query_property()


class Order(Base):
    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    symbol = Column(String(50), nullable=False)
    exchange = Column(String(10), nullable=False)
    quantity = Column(Integer, nullable=False)
    status = Column(String(20), nullable=False, default="open")
    created_at = Column(DateTime(timezone=True), server_default=func.now())


def init_db():
    logger.info("Initializing orders DB")
    Base.metadata.create_all(bind=orders_engine)


def recent_orders(limit=50):
    return Order.query.order_by(Order.created_at.desc()).limit(limit).all()
