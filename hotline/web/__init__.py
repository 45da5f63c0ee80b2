"""Web routes: the reporter's pages, the reviewer console, and the error pages."""
