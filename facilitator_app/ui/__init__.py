"""The PySide6 desktop app: a thin skin over store, sync and reports. Only this package imports Qt."""
