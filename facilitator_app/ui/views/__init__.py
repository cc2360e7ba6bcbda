"""One screen per file. Views wire widgets and call store/sync/report functions via ops."""
