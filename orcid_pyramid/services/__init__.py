"""Services behind the add-on's views: OAuth state, the link lifecycle, the call log."""
