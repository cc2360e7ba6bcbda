"""Inline validation: the core's ValidationError problems shown beside the fields they name."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ...core.errors import ValidationError

ERROR_STYLE = "color: #c62828;"


def error_label(parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    label.setAccessibleName("Error")
    return label


class FieldErrors:
    """Maps field names to error labels; problems for unknown fields go to the general label."""

    def __init__(self, general: QLabel):
        self.general = general
        self.labels: dict[str, QLabel] = {}

    def add(self, field: str, parent: QWidget | None = None) -> QLabel:
        label = error_label(parent)
        self.labels[field] = label
        return label

    def add_row(self, form: QFormLayout, field: str, label: str | QWidget, widget: QWidget,
                parent: QWidget | None = None) -> None:
        """A form row whose error label sits right under its widget."""
        box = QVBoxLayout()
        box.setSpacing(1)
        box.addWidget(widget)
        box.addWidget(self.add(field, parent))
        form.addRow(label, box)

    def clear(self) -> None:
        for label in [*self.labels.values(), self.general]:
            label.clear()
            label.setVisible(False)

    def show(self, error: ValidationError) -> None:
        self.clear()
        leftovers: list[str] = []
        grouped: dict[str, list[str]] = {}
        for problem in error.problems:
            if problem.field in self.labels:
                grouped.setdefault(problem.field, []).append(problem.message)
            else:
                leftovers.append(problem.message)
        for field, messages in grouped.items():
            self.labels[field].setText("\n".join(messages))
            self.labels[field].setVisible(True)
        if leftovers:
            self.general.setText("\n".join(leftovers))
            self.general.setVisible(True)

    def show_message(self, message: str) -> None:
        self.clear()
        self.general.setText(message)
        self.general.setVisible(True)

    def messages(self) -> list[str]:
        return [w.text() for w in [*self.labels.values(), self.general] if w.isVisible() and w.text()]
