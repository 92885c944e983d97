from pathlib import Path

import sqlalchemy as sa
from db.sql.model_base import SqlAlchemyBase
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool


def sql_global_init(db_file: Path, check_thread=False):

    SQLALCHEMY_DATABASE_URL = "sqlite:///" + str(db_file.absolute())
    # SQLALCHEMY_DATABASE_URL = "postgresql://user:password@postgresserver/db"

    engine = sa.create_engine(
        SQLALCHEMY_DATABASE_URL,
        echo=False,
        poolclass=StaticPool,
        connect_args={
            "check_same_thread": False,
            "timeout": 20.0,
        },
        pool_pre_ping=True,
    )

    SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)

    import db.sql._all_models

    SqlAlchemyBase.metadata.create_all(engine)

    return SessionLocal
