"""Reference solutions: method of lines in diffrax (see `liepinn.reference`)."""
