"""Running the service: the database job queue (``jobs``), retention and purging (``retention``), backups
(``backup``), email (``mail``), operational counts that say nothing of a reporter (``telemetry``), and schema
migrations (``migrate``)."""
