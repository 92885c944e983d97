import logging
import os

from sqlalchemy import Column, Float, Integer, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

SANDBOX_DATABASE_URL = os.getenv("SANDBOX_DATABASE_URL", "sqlite:///db/sandbox.db")

if "sqlite" in SANDBOX_DATABASE_URL:
    sandbox_engine = create_engine(
        SANDBOX_DATABASE_URL,
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )
else:
    sandbox_engine = create_engine(SANDBOX_DATABASE_URL, pool_size=20, max_overflow=40, pool_timeout=10)

sandbox_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=sandbox_engine))
Base = declarative_base()
Base.query = sandbox_session.query_property()


class SandboxFunds(Base):
    __tablename__ = "sandbox_funds"

    id = Column(Integer, primary_key=True)
    user_id = Column(String(255), unique=True, nullable=False)
    available = Column(Float, nullable=False)
    used_margin = Column(Float, nullable=False, default=0.0)


def reset_funds(user_id):
    """Give the user a fresh sandbox balance."""
    funds = SandboxFunds.query.filter_by(user_id=user_id).first()
    if funds is None:
        funds = SandboxFunds(user_id=user_id, available=0.0)
        sandbox_session.add(funds)
    funds.available = 2500000.0
    funds.used_margin = 0.0
    sandbox_session.commit()
    logger.info(f"Sandbox funds reset for {user_id}")
    return funds
