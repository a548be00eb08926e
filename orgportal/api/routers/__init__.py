"""One router per entity; each handler adapts JSON to the same services the HTML views use."""
