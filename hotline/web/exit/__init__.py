"""The exit-interview pages: the departing employee's survey (``survey``, public), HR's pages (``hr``) and the
regional coordinator's published quarters (``regional``), with the survey's own English and Spanish (``i18n``).
HR's and the coordinator's routes are registered with the rest of the console in hotline.web.console.routes."""
