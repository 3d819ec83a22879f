"""Step definitions and fixtures of the compliance suite, loaded by the plugin."""
