import logging

from sqlalchemy import Column, Integer, String, Text, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

strategy_engine = create_engine(
    "sqlite:///db/strategy.db",
    poolclass=StaticPool,
    connect_args={
        "check_same_thread": False,
        "timeout": 20.0,
    },
    pool_pre_ping=True,
)
strategy_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=strategy_engine))
Base = declarative_base()
Base.query = strategy_session.query_property()


class ChartinkStrategy(Base):
    __tablename__ = "chartink_strategies"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), unique=True, nullable=False)
    symbols = Column(Text)


def init_db():
    logger.info("Initializing strategy DB")
    Base.metadata.create_all(bind=strategy_engine)


def get_strategy(name):
    return ChartinkStrategy.query.filter_by(name=name).first()
