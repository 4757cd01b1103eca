"""The evaluator: grades a saved session into grade.json, a terminal scorecard and report.html."""

from .grade import GRADE_FILE, Judge, grade, grade_session, write_grade

__all__ = ["GRADE_FILE", "Judge", "grade", "grade_session", "write_grade"]
