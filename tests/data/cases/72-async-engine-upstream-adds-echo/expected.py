import logging

from sqlalchemy import Column, Integer, String, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import declarative_base
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

# Async engine for the alert worker (aiosqlite)
engine = create_async_engine(
    "sqlite+aiosqlite:///db/alerts.db",
    poolclass=StaticPool,
    connect_args={
        "check_same_thread": False,
        "timeout": 20.0,
    },
    pool_pre_ping=True,
    echo=True,
)
AsyncSessionLocal = async_sessionmaker(engine, expire_on_commit=False)
Base = declarative_base()


class PriceAlert(Base):
    __tablename__ = "price_alerts"

    id = Column(Integer, primary_key=True)
    symbol = Column(String(50), nullable=False)
    exchange = Column(String(10), nullable=False)
    target = Column(String(20), nullable=False)
    direction = Column(String(5), nullable=False, default="above")


async def init_db():
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def alerts_for(symbol):
    async with AsyncSessionLocal() as session:
        result = await session.execute(select(PriceAlert).where(PriceAlert.symbol == symbol))
        return result.scalars().all()


async def delete_alert(alert_id):
    async with AsyncSessionLocal() as session:
        alert = await session.get(PriceAlert, alert_id)
        if alert is not None:
            await session.delete(alert)
            await session.commit()
