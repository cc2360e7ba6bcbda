"""A read-only table model over a list of records with named columns.

Each column is declared once: header, how to display a record, and its sort key. `set_rows()`
resets the model, which is cheap and keeps views simple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, Sequence, TypeVar, cast

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from .roles import RECORD_ROLE, SORT_ROLE

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column(Generic[R]):
    header: str
    display: Callable[[R], str]
    sort_key: Callable[[R], Any] | None = None
    align_right: bool = False
    tooltip: str = ""


class RowTableModel(QAbstractTableModel, Generic[R]):
    columns: Sequence[Column] = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[R] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = self._sorted(list(rows))
        self.endResetModel()

    def _sorted(self, rows: list[R]) -> list[R]:
        if self._sort is None:
            return rows
        column, order = self._sort
        col = self.columns[column]
        key_of = col.sort_key or col.display

        def key(record):
            value = key_of(record)
            if isinstance(value, str):
                value = value.lower()
            return (True, value) if value is not None else (False, 0)
        return sorted(rows, key=key, reverse=order == Qt.SortOrder.DescendingOrder)

    def rows(self) -> list[R]:
        return self._rows

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows in Python with one key per row: far cheaper than a proxy calling back into
        Python for every comparison (5,000 rows = ~120,000 calls)."""
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        old = self._rows
        self._rows = self._sorted(old)
        position = {id(r): i for i, r in enumerate(self._rows)}
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(persistent, [self.index(position[id(old[i.row()])], i.column())
                                                    for i in persistent])
        self.layoutChanged.emit()

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].header
            if role == Qt.ItemDataRole.ToolTipRole and self.columns[section].tooltip:
                return self.columns[section].tooltip
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(record)
        if role == SORT_ROLE:
            return (column.sort_key or column.display)(record)
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.extra_data(record, index.column(), role)

    def extra_data(self, record: R, column: int, role: int) -> Any:
        return None


class SortProxy(QSortFilterProxyModel):
    """Filters by a precomputed search text per row; sorting is delegated to the source model.

    Why: at 5,000 practices a filter must finish within 30 ms per keystroke, so the match runs
    once in Python over plain strings and the proxy only looks the answer up (by record identity,
    so sorting the source does not invalidate it), and the proxy never sorts by calling back into
    Python per comparison.
    """

    def __init__(self, search_text: Callable[[Any], str] | None = None, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._search_text = search_text
        self._haystacks: list[tuple[object, str]] = []
        self._accepted: set[int] | None = None
        self._needle = ""

    def setSourceModel(self, model: RowTableModel) -> None:  # type: ignore[override]  # noqa: N802 (Qt name)
        self._model = model  # a Python reference: cheaper than sourceModel() in the per-row filter
        super().setSourceModel(model)
        model.modelReset.connect(self._rebuild)
        self._rebuild()

    def _rebuild(self) -> None:
        model = cast("RowTableModel | None", self.sourceModel())
        if self._search_text is None or model is None:
            return
        self._haystacks = [(r, self._search_text(r).lower()) for r in model.rows()]
        self._apply(self._needle)

    def set_search(self, text: str) -> None:
        needle = text.strip().lower()
        if needle == self._needle:
            return
        self._needle = needle
        self.beginFilterChange()
        self._apply(needle)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _apply(self, needle: str) -> None:
        if not needle:
            self._accepted = None
            return
        words = needle.split()
        self._accepted = {id(r) for r, h in self._haystacks if all(w in h for w in words)}

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        accepted = self._accepted
        return accepted is None or id(self._model._rows[source_row]) in accepted

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            return a is None and b is not None
        if isinstance(a, str) and isinstance(b, str):
            return a.lower() < b.lower()
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)
