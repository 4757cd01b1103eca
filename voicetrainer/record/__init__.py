"""The call record: typed session and grade documents, their upgrade path and storage."""

from .models import (GRADE_SCHEMA_VERSION, SESSION_SCHEMA_VERSION, DetectionRecord, Grade, Session, Turn,
                     persona_snapshot)
from .store import read_session, session_from_journal, write_session
from .upgrade import SessionFormatError

__all__ = ["GRADE_SCHEMA_VERSION", "SESSION_SCHEMA_VERSION", "DetectionRecord", "Grade", "Session", "SessionFormatError",
           "Turn", "persona_snapshot", "read_session", "session_from_journal", "write_session"]
