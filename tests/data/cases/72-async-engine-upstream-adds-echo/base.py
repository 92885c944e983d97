import logging

from sqlalchemy import Column, Integer, String, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import declarative_base
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

engine = create_async_engine("sqlite+aiosqlite:///db/alerts.db", poolclass=NullPool)
AsyncSessionLocal = async_sessionmaker(engine, expire_on_commit=False)
Base = declarative_base()


class PriceAlert(Base):
    __tablename__ = "price_alerts"

    id = Column(Integer, primary_key=True)
    symbol = Column(String(50), nullable=False)
    exchange = Column(String(10), nullable=False)
    target = Column(String(20), nullable=False)


async def init_db():
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def alerts_for(symbol):
    async with AsyncSessionLocal() as session:
        result = await session.execute(select(PriceAlert).where(PriceAlert.symbol == symbol))
        return result.scalars().all()
