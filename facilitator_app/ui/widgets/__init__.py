"""Small reusable widgets: inline field errors, charts drawn with QPainter, date fields."""
