from sqlalchemy import create_engine

engine = create_engine(URL, pool_size=10, max_overflow=20)

# Read replica
replica = create_engine(REPLICA_URL, pool_size=5, pool_recycle=600)
