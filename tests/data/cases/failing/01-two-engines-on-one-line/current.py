from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

<<<<<<< ours
a = create_engine("sqlite:///a.db", poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 20.0}, pool_pre_ping=True); b = create_engine("sqlite:///b.db", poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 20.0}, pool_pre_ping=True)
=======
a = create_engine("sqlite:///a.db", poolclass=NullPool, echo=True); b = create_engine("sqlite:///b.db", poolclass=NullPool)
>>>>>>> theirs
