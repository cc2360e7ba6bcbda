"""Item-data roles shared by the table models and the sort proxy."""

from PySide6.QtCore import Qt

SORT_ROLE = Qt.ItemDataRole.UserRole + 1    # a value that sorts correctly (dates, numbers)
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's dataclass
